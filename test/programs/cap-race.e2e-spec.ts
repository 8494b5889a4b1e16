import { createHash } from 'node:crypto';
// Deep imports: the package index also exports the Nest module, which jest cannot load (ESM).
import { createDataSource } from '../../libs/persistence/src/data-source';
import { runMigrations } from '../../libs/persistence/src/migrate';
import { createTestDatabase, queryAsOwner, type TestDatabase } from '@passerelle/testing';
import type { DataSource } from 'typeorm';
import { ProgramsRepository, type ApplyResult } from '../../apps/gateway/src/programs/programs.repository';

/**
 * The cap under concurrency, at repository level against the real PostgreSQL, acting as the app
 * role on a pool of separate connections: many simultaneous applications for the last place.
 * (programs.e2e-spec.ts runs the same race through the signed gateway.)
 */
const subject = (n: string) => `i_${createHash('sha256').update(n).digest().subarray(0, 16).toString('base64url')}`;

describe('applyToProgram under a cap (repository, real Postgres)', () => {
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

  const apply = (program: string, cap: number | null, who: string, agency = 'ca.ircc'): Promise<ApplyResult> =>
    repo.apply({ program, cap, subject: subject(who), province: 'QC', appliedBy: agency, requestJti: `${who}-${agency}-${Math.random()}` });

  it('with one place left and 40 simultaneous applicants, exactly one gets it (repeated 5 times)', async () => {
    for (let round = 0; round < 5; round++) {
      const program = `race-${round}`;
      const cap = 3 + round;
      for (let i = 0; i < cap - 1; i++) expect((await apply(program, cap, `${program}-early-${i}`)).status).toBe('APPLIED');
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => apply(program, cap, `${program}-racer-${i}`, i % 2 ? 'qc.mifi' : 'ca.ircc')));
      const applied = results.filter((r) => r.status === 'APPLIED');
      expect(applied).toEqual([{ status: 'APPLIED', counted: cap }]);
      expect(results.filter((r) => r.status === 'CAP_REACHED')).toHaveLength(39);
      const [row] = await queryAsOwner<{ n: number; taken: number }>(
        db.url,
        `SELECT (SELECT count(*)::int FROM program_applications WHERE program = $1) AS n, (SELECT taken FROM program_counters WHERE program = $1) AS taken`,
        [program],
      );
      expect(row).toEqual({ n: cap, taken: cap });
    }
  });

  it('counts a claimant once even when two agencies apply for them at the same moment', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => apply('once-program', 100, 'the-same-claimant', i % 2 ? 'qc.mifi' : 'ca.ircc')));
    expect(results.filter((r) => r.status === 'APPLIED')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'ALREADY_APPLIED')).toHaveLength(9);
    expect((await repo.uptake('once-program')).counted).toBe(1);
  });

  it('never refuses for a program without a cap, and reports uptake by province', async () => {
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => apply('open-program', null, `open-${i}`)));
    expect(results.every((r) => r.status === 'APPLIED')).toBe(true);
    expect(await repo.uptake('open-program')).toEqual({ counted: 25, byProvince: [['QC', 25]] });
    expect(await repo.uptake('never-applied')).toEqual({ counted: 0, byProvince: [] });
  });

  it('refuses, at the database, a subject that is not an internal id', async () => {
    await expect(repo.apply({ program: 'open-program', cap: null, subject: 'CLIENT-12345', province: 'QC', appliedBy: 'ca.ircc', requestJti: 'x' })).rejects.toThrow(/check constraint/);
  });
});
