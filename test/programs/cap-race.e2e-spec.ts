import { createHash } from 'node:crypto';
// Deep imports: the package index also exports the Nest module, which jest cannot load (ESM).
import { createDataSource } from '../../libs/persistence/src/data-source';
import { runMigrations } from '../../libs/persistence/src/migrate';
import { createTestDatabase, queryAsOwner, type TestDatabase } from '@passerelle/testing';
import type { DataSource } from 'typeorm';
import { findStream, type ProgramDefinition, type ResolvedStream } from '@passerelle/policy';
import { ProgramsRepository, type ApplyResult, type ProgramEventSink } from '../../apps/gateway/src/programs/programs.repository';

/**
 * Streams, pacing and the waitlist under concurrency, at repository level against the real
 * PostgreSQL, acting as the gateway's login on a pool of separate connections. The day of each
 * call is given, so programme-year boundaries are tested without a clock.
 * (programs.e2e-spec.ts runs races through the signed gateway.)
 */
const subject = (n: string) => `i_${createHash('sha256').update(n).digest().subarray(0, 16).toString('base64url')}`;
const events: ProgramEventSink = { topic: 'passerelle.programs.v1', pseudonym: (agency, s) => `p_${agency}_${s.slice(2, 8)}` };

const paced = (id: string, opts: { cap?: number | null; perPeriod?: number; carryOver?: boolean; waitlist?: boolean } = {}): ResolvedStream => {
  const program: ProgramDefinition = {
    id,
    names: { en: id, fr: id },
    conditions: [{ name: 'in-quebec', kind: 'provinceIn', provinces: ['QC'] }],
    cap: opts.cap === undefined ? 1500 : opts.cap,
    capPeriod: { from: '2025-01-01', to: '2027-12-31' },
    pacing: opts.perPeriod ? { period: 'programmeYear', perPeriod: opts.perPeriod, carryOver: opts.carryOver ?? false } : null,
    waitlist: opts.waitlist ?? true,
  };
  return findStream(program, null)!;
};

describe('applyToProgram per stream with pacing and a waitlist (repository, real Postgres)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let repo: ProgramsRepository;

  beforeAll(async () => {
    db = await createTestDatabase('prograce');
    await runMigrations(db.url);
    ds = await createDataSource({ url: db.logins.gateway, poolSize: 24, applicationName: 'cap-race-test' }).initialize();
    repo = new ProgramsRepository(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const apply = (stream: ResolvedStream, who: string, day: string, agency = 'ca.ircc'): Promise<ApplyResult> =>
    repo.apply({ stream, subject: subject(who), province: 'QC', appliedBy: agency, requestJti: `${who}-${agency}-${Math.random()}`, day, events });
  const statuses = (program: string) =>
    queryAsOwner<{ subject: string; status: string; period: string | null; ticket: string | null }>(
      db.url,
      `SELECT subject, status, period, ticket FROM program_stream_applications WHERE program = $1 ORDER BY ticket NULLS FIRST, subject`,
      [program],
    );

  it('50 racers for the last place of a paced stream: exactly one admitted, the 49 others waitlisted in a stable order', async () => {
    const stream = paced('race-paced', { perPeriod: 5 });
    for (let i = 0; i < 4; i++) expect((await apply(stream, `early-${i}`, '2025-03-01')).status).toBe('APPLIED');
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => apply(stream, `racer-${i}`, '2025-03-01', i % 2 ? 'qc.mifi' : 'ca.ircc')));
    const admitted = results.filter((r) => r.status === 'APPLIED');
    expect(admitted).toHaveLength(1);
    expect(admitted[0]).toMatchObject({ counted: 5, remaining: 0, period: '2025-01-01' });
    const waiting = results.filter((r) => r.status === 'WAITLISTED');
    expect(waiting).toHaveLength(49);
    // Positions 1..49, each once: the order the lock granted, kept by the tickets.
    expect(waiting.map((r) => r.position).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 49 }, (_, i) => i + 1));
    for (const w of waiting) expect(w.reason).toMatch(/its 5 places for the programme year from 2025-01-01 to 2025-12-31; the claimant joins the waitlist/);
    const rows = await statuses('race-paced');
    expect(rows.filter((r) => r.status === 'ADMITTED')).toHaveLength(5);
    expect(rows.filter((r) => r.status === 'WAITLISTED').map((r) => Number(r.ticket))).toEqual(Array.from({ length: 49 }, (_, i) => i + 1));
    const [counters] = await queryAsOwner<{ admitted: number; waitlisted: number }>(db.url, `SELECT admitted, waitlisted FROM program_streams WHERE program = 'race-paced'`);
    expect(counters).toEqual({ admitted: 5, waitlisted: 49 });
  });

  it('20 racers for the last place of a stream without waitlist: exactly one gets it, 19 CAP_REACHED (repeated 3 times)', async () => {
    for (let round = 0; round < 3; round++) {
      const stream = paced(`race-nowait-${round}`, { cap: 3 + round, waitlist: false });
      for (let i = 0; i < 2 + round; i++) expect((await apply(stream, `nw-${round}-early-${i}`, '2026-02-01')).status).toBe('APPLIED');
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => apply(stream, `nw-${round}-racer-${i}`, '2026-02-01', i % 2 ? 'qc.mifi' : 'ca.ircc')));
      expect(results.filter((r) => r.status === 'APPLIED')).toHaveLength(1);
      const refused = results.filter((r) => r.status === 'CAP_REACHED');
      expect(refused).toHaveLength(19);
      expect(refused[0].reason).toContain(`has reached its cap of ${3 + round} places`);
      expect(await statuses(`race-nowait-${round}`)).toHaveLength(3 + round);
    }
  });

  it('pacing at the period boundary: the last day of a full year waitlists; the first day of the next admits the waiting, in order, up to the new allowance', async () => {
    const stream = paced('boundary', { perPeriod: 2 });
    expect((await apply(stream, 'b-1', '2025-12-30')).status).toBe('APPLIED');
    expect((await apply(stream, 'b-2', '2025-12-31')).status).toBe('APPLIED');
    expect(await apply(stream, 'b-3', '2025-12-31')).toMatchObject({ status: 'WAITLISTED', position: 1 });
    expect(await apply(stream, 'b-4', '2025-12-31')).toMatchObject({ status: 'WAITLISTED', position: 2 });
    expect(await apply(stream, 'b-5', '2025-12-31')).toMatchObject({ status: 'WAITLISTED', position: 3 });
    // New programme year: its 2 places go to b-3 and b-4 first; a newcomer on that day waits behind b-5.
    const newcomer = await apply(stream, 'b-6', '2026-01-01');
    expect(newcomer).toMatchObject({ status: 'WAITLISTED', promoted: 2, position: 2, counted: 4 });
    const rows = await statuses('boundary');
    const by = new Map(rows.map((r) => [r.subject, r]));
    expect(by.get(subject('b-3'))).toMatchObject({ status: 'ADMITTED', period: '2026-01-01' });
    expect(by.get(subject('b-4'))).toMatchObject({ status: 'ADMITTED', period: '2026-01-01' });
    expect(by.get(subject('b-5'))).toMatchObject({ status: 'WAITLISTED' });
    // Unused places are not carried over: the 2025 year stays at 2, 2026 is full.
    const periods = await queryAsOwner<{ period: string; admitted: number }>(db.url, `SELECT period, admitted FROM program_stream_periods WHERE program = 'boundary' ORDER BY period`);
    expect(periods).toEqual([
      { period: '2025-01-01', admitted: 2 },
      { period: '2026-01-01', admitted: 2 },
    ]);
    // After the window nothing is taken.
    expect((await apply(stream, 'b-7', '2028-01-01')).status).toBe('CLOSED');
  });

  it('a new programme year admits the waiting without anyone applying (promoteDue), in order, once', async () => {
    const stream = paced('new-year', { perPeriod: 1 });
    await apply(stream, 'ny-1', '2026-06-01');
    await apply(stream, 'ny-2', '2026-06-01');
    await apply(stream, 'ny-3', '2026-06-01');
    expect(await repo.promoteDue(stream, '2026-12-31', events)).toBe(0);
    expect(await repo.promoteDue(stream, '2027-01-01', events)).toBe(1);
    expect(await repo.promoteDue(stream, '2027-01-02', events)).toBe(0);
    const rows = new Map((await statuses('new-year')).map((r) => [r.subject, r]));
    expect(rows.get(subject('ny-2'))).toMatchObject({ status: 'ADMITTED', period: '2027-01-01' });
    expect(rows.get(subject('ny-3'))).toMatchObject({ status: 'WAITLISTED' });
  });

  it('a withdrawal admits the next in line in the same transaction, with its events and outbox rows; only the applying agency may withdraw', async () => {
    const stream = paced('withdrawal', { cap: 2 });
    const streams = new Map([[stream.id, stream]]);
    await apply(stream, 'w-1', '2026-05-01');
    await apply(stream, 'w-2', '2026-05-01');
    await apply(stream, 'w-3', '2026-05-01', 'qc.mifi');
    await apply(stream, 'w-4', '2026-05-01');
    // Another agency cannot withdraw (nor learn that) the application ca.ircc made.
    expect(await repo.withdraw({ program: 'withdrawal', streams, subject: subject('w-1'), by: 'qc.mifi', requestJti: 'x1', day: '2026-05-02', events })).toEqual({ status: 'NOT_FOUND' });
    expect(await repo.withdraw({ program: 'withdrawal', streams, subject: subject('w-1'), by: 'ca.ircc', requestJti: 'x2', day: '2026-05-02', events })).toEqual({
      status: 'WITHDRAWN',
      stream: 'main',
      was: 'ADMITTED',
      promoted: 1,
    });
    const rows = new Map((await statuses('withdrawal')).map((r) => [r.subject, r.status]));
    expect(rows.get(subject('w-1'))).toBe('WITHDRAWN');
    expect(rows.get(subject('w-3'))).toBe('ADMITTED'); // first in line, though another agency applied
    expect(rows.get(subject('w-4'))).toBe('WAITLISTED');
    const evts = await queryAsOwner<{ event: string; subject: string; agency: string }>(db.url, `SELECT event, subject, agency FROM program_application_events WHERE program = 'withdrawal' ORDER BY seq`);
    expect(evts.map((e) => e.event)).toEqual(['APPLIED', 'APPLIED', 'WAITLISTED', 'WAITLISTED', 'WITHDRAWN', 'ADMITTED_FROM_WAITLIST']);
    expect(evts[5]).toMatchObject({ subject: subject('w-3'), agency: 'qc.mifi' });
    const outbox = await queryAsOwner<{ topic: string; message_key: string; payload: string }>(db.url, `SELECT topic, message_key, payload FROM program_outbox WHERE message_key = 'withdrawal/main' ORDER BY id`);
    expect(outbox).toHaveLength(6);
    const last = JSON.parse(outbox[5].payload);
    expect(last).toMatchObject({ type: 'program.admitted_from_waitlist', program: 'withdrawal', stream: 'main', period: 'all', agency: 'qc.mifi', pseudonym: events.pseudonym('qc.mifi', subject('w-3')) });
    // The internal id never goes on the wire.
    for (const o of outbox) expect(o.payload).not.toMatch(/"i_[A-Za-z0-9_-]{22}"/);
    // The event history is append-only.
    await expect(queryAsOwner(db.url, `DELETE FROM program_application_events WHERE program = 'withdrawal'`)).rejects.toThrow(/append-only/);
  });

  it('counts a claimant once per program even when two agencies apply for them at the same moment', async () => {
    const stream = paced('once-program', { cap: 100 });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => apply(stream, 'the-same-claimant', '2026-01-10', i % 2 ? 'qc.mifi' : 'ca.ircc')));
    expect(results.filter((r) => r.status === 'APPLIED')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'ALREADY_APPLIED')).toHaveLength(9);
  });

  it('refuses, at the database, a subject that is not an internal id', async () => {
    await expect(repo.apply({ stream: paced('open-program', { cap: null }), subject: 'CLIENT-12345', province: 'QC', appliedBy: 'ca.ircc', requestJti: 'x', day: '2026-01-01', events })).rejects.toThrow(/check constraint/);
  });
});
