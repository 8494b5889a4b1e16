import type { DataSource } from 'typeorm';
import { ClaimantRecordsRepository, type RecordRow } from './claimant-records.repository';
import type { StandingQuestion } from './consent-standing.sql';

/** A DataSource that answers the records statement from a fixed table and remembers each statement's subjects. */
function fakeDataSource(table: Array<RecordRow & { consent_ids: string[] | null }>, fail?: (params: unknown[]) => boolean) {
  const statements: Array<{ subjects: string[]; params: unknown[] }> = [];
  const ds = {
    query: async (_sql: string, params: unknown[]) => {
      const subjects = params[0] as string[];
      const providers = params[1] as string[];
      statements.push({ subjects: [...subjects], params });
      if (fail?.(params)) throw new Error('statement failed');
      return table.filter((r) => subjects.includes(r.subject) && providers.includes(r.provider)).map((r) => ({ ...r, consent_revoked: false, consent_expired: false }));
    },
  };
  return { ds: ds as unknown as DataSource, statements };
}

const row = (subject: string, provider: string, province: string, consent = true): RecordRow & { consent_ids: string[] | null } => ({
  subject,
  provider,
  version: 1,
  supplied_at: new Date('2026-01-01T00:00:00Z'),
  claim_status: null,
  claim_date: null,
  province,
  work_permit_expiry: null,
  noc_code: null,
  sector: null,
  health_care_hours: null,
  hours_period_start: null,
  hours_period_end: null,
  french_level: null,
  english_level: null,
  consent_ids: consent ? [`c-${subject}`] : null,
});

const TABLE = [row('i_a', 'ca.ircc', 'QC'), row('i_a', 'qc.msss', 'ON'), row('i_b', 'ca.ircc', 'NB', false), row('i_c', 'ca.ircc', 'PE')];
const AT = new Date('2026-06-01T12:00:00.250Z');
const question = (recipient: string, at = AT): StandingQuestion => ({ purpose: 'JOB_MATCHING', recipient, collectors: ['ca.ircc'], at });
const subjectsOf = (r: { records: Array<{ subject: string }> }) => [...new Set(r.records.map((x) => x.subject))].sort();

describe('ClaimantRecordsRepository: the reads of one turn in one statement', () => {
  it('asks PostgreSQL once for the reads of one turn that ask the same question, and gives each read its own subjects only', async () => {
    const { ds, statements } = fakeDataSource(TABLE);
    const repo = new ClaimantRecordsRepository(ds);
    const [one, two, three] = await Promise.all([
      repo.recordsWithStanding(['i_a'], ['ca.ircc', 'qc.msss'], question('ca.esdc')),
      repo.recordsWithStanding(['i_b', 'i_b'], ['qc.msss', 'ca.ircc'], question('ca.esdc', new Date('2026-06-01T12:00:00.900Z'))),
      repo.recordsWithStanding(['i_c', 'i_missing'], ['ca.ircc', 'qc.msss'], question('ca.esdc')),
    ]);
    expect(statements).toHaveLength(1);
    expect([...statements[0].subjects].sort()).toEqual(['i_a', 'i_b', 'i_c', 'i_missing']);
    expect(subjectsOf(one)).toEqual(['i_a']);
    expect(one.records).toHaveLength(2);
    expect([...one.standings.keys()]).toEqual(['i_a']);
    expect(subjectsOf(two)).toEqual(['i_b']);
    expect(two.records).toHaveLength(1); // a subject asked twice is read once
    expect(two.standings.get('i_b')).toEqual({ reason: 'consent_required', consentIds: [] });
    expect(subjectsOf(three)).toEqual(['i_c']);
    expect(three.standings.get('i_c')).toEqual({ reason: 'ok', consentIds: ['c-i_c'] });
  });

  it('never answers one agency from a statement asked for another, nor mixes providers, seconds or no-consent reads', async () => {
    const { ds, statements } = fakeDataSource(TABLE);
    const repo = new ClaimantRecordsRepository(ds);
    const [esdc, msss, otherProviders, nextSecond, noConsent] = await Promise.all([
      repo.recordsWithStanding(['i_a'], ['ca.ircc', 'qc.msss'], question('ca.esdc')),
      repo.recordsWithStanding(['i_c'], ['ca.ircc', 'qc.msss'], question('qc.msss')),
      repo.recordsWithStanding(['i_a'], ['ca.ircc'], question('ca.esdc')),
      repo.recordsWithStanding(['i_b'], ['ca.ircc', 'qc.msss'], question('ca.esdc', new Date('2026-06-01T12:00:01.000Z'))),
      repo.recordsWithStanding(['i_a'], ['ca.ircc', 'qc.msss'], null),
    ]);
    expect(statements).toHaveLength(5);
    expect(statements.map((s) => s.subjects)).toEqual([['i_a'], ['i_c'], ['i_a'], ['i_b'], ['i_a']]);
    expect(subjectsOf(esdc)).toEqual(['i_a']);
    expect(subjectsOf(msss)).toEqual(['i_c']);
    expect(otherProviders.records.map((r) => r.provider)).toEqual(['ca.ircc']);
    expect(subjectsOf(nextSecond)).toEqual(['i_b']);
    expect(noConsent.standings.size).toBe(0);
  });

  it('fails only the reads whose statement failed', async () => {
    const { ds } = fakeDataSource(TABLE, (params) => params.includes('qc.msss') && (params[0] as string[]).includes('i_c'));
    const repo = new ClaimantRecordsRepository(ds);
    const [ok, failed] = await Promise.allSettled([
      repo.recordsWithStanding(['i_a'], ['ca.ircc', 'qc.msss'], question('ca.esdc')),
      repo.recordsWithStanding(['i_c'], ['ca.ircc'], question('qc.msss')),
    ]);
    expect(ok.status).toBe('fulfilled');
    expect(failed).toMatchObject({ status: 'rejected', reason: { message: 'statement failed' } });
  });

  it('reads nothing for no subjects or no providers', async () => {
    const { ds, statements } = fakeDataSource(TABLE);
    const repo = new ClaimantRecordsRepository(ds);
    expect(await repo.recordsWithStanding([], ['ca.ircc'], null)).toEqual({ records: [], standings: new Map() });
    expect(await repo.recordsWithStanding(['i_a'], [], null)).toEqual({ records: [], standings: new Map() });
    expect(statements).toHaveLength(0);
  });
});
