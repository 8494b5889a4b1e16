import type { GatewayResponse } from '@passerelle/client';
import { OUTCOME_DIMENSIONS } from '@passerelle/policy';
import type { Agreement } from '@passerelle/registry';
import { createTestDatabase, createTestRegistry, determinedUnknowns, queryAsOwner, startTrustStack, type TestDatabase, type TestRegistry, type TrustStack } from '@passerelle/testing';

/**
 * relocationOutcomes(period, groupBy) (issue 16) through the real gateway: protected counts of
 * what relocation produced, for the federal program officer (every row) and the provinces (their
 * own rows); a differencing attacker who asks every answer the API gives cannot solve the small
 * cell; callers outside the initiative are refused and audited.
 */
const agreement = (id: string, provider: string, consumer: string): Agreement => ({
  id, provider, consumer, purposes: ['RELOCATION'], fields: ['province', 'nocCode'], validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'test agreement',
});
interface GraphqlBody<T> {
  data: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}
interface Cell {
  fromProvince: string | null;
  toProvince: string | null;
  noc: string | null;
  status: string | null;
  referrals: number | null;
  acceptances: number | null;
  moves: number | null;
  jobs: number | null;
  suppressed: boolean;
}
type Outcomes = { relocationOutcomes: { period: string; scope: string; groupBy: string[]; cells: Cell[]; offers: Array<{ toProvince: string; noc: string; offers: number; places: number }> } };
const OUTCOMES = `query($p: String!, $g: [RelocationOutcomeDimension!]) { relocationOutcomes(period: $p, groupBy: $g) {
  period scope groupBy cells { fromProvince toProvince noc status referrals acceptances moves jobs suppressed } offers { toProvince noc offers places } } }`;

/** Statuses reached on the way to each final status (the events written for it). */
const PATH: Record<string, string[]> = {
  REFERRED: [], CONTACTED: ['CONTACTED'], ACCEPTED: ['CONTACTED', 'ACCEPTED'], RELOCATED: ['CONTACTED', 'ACCEPTED', 'RELOCATED'],
  EMPLOYED: ['CONTACTED', 'ACCEPTED', 'RELOCATED', 'EMPLOYED'], DECLINED: ['CONTACTED', 'DECLINED'], WITHDRAWN: ['WITHDRAWN'],
};
// [to agency, to province, noc, status, how many] referred by qc.mifi this quarter
const POPULATION: Array<[string, string, string, string, number]> = [
  ['nb.petl', 'NB', '33102', 'REFERRED', 8], ['nb.petl', 'NB', '33102', 'CONTACTED', 6], ['nb.petl', 'NB', '33102', 'ACCEPTED', 5], ['nb.petl', 'NB', '33102', 'RELOCATED', 4],
  ['nb.petl', 'NB', '33102', 'EMPLOYED', 12], ['nb.petl', 'NB', '33102', 'DECLINED', 3], ['nb.petl', 'NB', '33102', 'WITHDRAWN', 2],
  ['nb.petl', 'NB', '64410', 'REFERRED', 15], ['nb.petl', 'NB', '64410', 'EMPLOYED', 11],
  ['on.mltsd', 'ON', '33102', 'REFERRED', 3], // the small cell
  ['on.mltsd', 'ON', '64410', 'REFERRED', 20], ['on.mltsd', 'ON', '64410', 'ACCEPTED', 14],
  ['ab.lbr', 'AB', '65201', 'REFERRED', 25],
];

describe('relocation outcomes', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let stack: TrustStack;
  const now = new Date();
  const quarter = `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
  const ask = (agency: string, groupBy: string[] | null, period = quarter) =>
    registry.client(agency, stack.gateway.url).graphql<GraphqlBody<Outcomes>>(OUTCOMES, { p: period, g: groupBy }, 'RELOCATION');
  const cellsOf = async (agency: string, groupBy: string[]) => {
    const res = await ask(agency, groupBy);
    expect([groupBy, res.json.errors]).toEqual([groupBy, undefined]);
    return res.json.data!.relocationOutcomes.cells;
  };
  const entryOf = async (res: GatewayResponse) => (await stack.ledgerEntries()).find((e) => e.seq === res.auditSeq)!;

  /** Referrals with their matches and events, as the lifecycle writes them, `monthsAgo` months back. */
  const seed = async (tag: string, toAgency: string, province: string, noc: string, status: string, n: number, monthsAgo = 0) => {
    await queryAsOwner(db.url,
      `WITH m AS (
         INSERT INTO job_matches (publisher, event_id, batch_id, subject, posting_id, title, noc_code, province, city, hourly_wage_cents, language_requirement, score, matched_at)
         SELECT 'ca.esdc', $1 || g, 'b1', 'i_' || substr(md5($1 || g), 1, 22), $1 || g, 'Job', $2, $3, 'City', 2500, 'EN_OR_FR', 0.9, now() FROM generate_series(1, $4::int) g
         RETURNING id, subject)
       INSERT INTO relocation_referrals (match_id, subject, referred_by, to_agency, status, created_at)
       SELECT id, subject, 'qc.mifi', $5, $6, now() - make_interval(months => $7::int) FROM m`,
      [tag, noc, province, n, toAgency, status, monthsAgo]);
    let from = 'REFERRED';
    for (const to of PATH[status]) {
      await queryAsOwner(db.url,
        `INSERT INTO referral_events (referral_id, from_status, to_status, party, agency, reason)
         SELECT r.id, $2, $3, 'RECEIVING_PROVINCE', 'nb.petl', 'AS_PLANNED' FROM relocation_referrals r JOIN job_matches m ON m.id = r.match_id WHERE m.event_id LIKE $1 || '%'`,
        [tag, from, to]);
      from = to;
    }
  };

  beforeAll(async () => {
    [db, registry] = await Promise.all([
      createTestDatabase('outcomes'),
      createTestRegistry({
        agencies: [
          { id: 'ca.esdc', roles: ['CONSUMER', 'PUBLISHER'], jurisdiction: 'CA' },
          { id: 'ca.ircc', roles: ['CONSUMER'], jurisdiction: 'CA' },
          { id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'QC' },
          { id: 'nb.petl', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'NB' },
          { id: 'on.mltsd', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'ON' },
          { id: 'ab.lbr', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'AB' },
          { id: 'mb.ledr', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'MB' },
        ],
        agreements: [
          agreement('dsa-mifi-petl', 'qc.mifi', 'nb.petl'), agreement('dsa-mifi-mltsd', 'qc.mifi', 'on.mltsd'), agreement('dsa-mifi-lbr', 'qc.mifi', 'ab.lbr'),
          // the federal program officer's agreement
          agreement('dsa-mifi-ircc-relocation', 'qc.mifi', 'ca.ircc'),
        ],
      }),
    ]);
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url, gatewayEnv: { LOG_LEVEL: 'warn' } });
    let k = 0;
    for (const [to, province, noc, status, n] of POPULATION) await seed(`q${k++}-`, to, province, noc, status, n);
    await seed('old-', 'nb.petl', 'NB', '33102', 'REFERRED', 7, 4); // a previous quarter
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
    await registry?.cleanup();
  });

  it('gives the federal program officer every row of the quarter: referrals, acceptances, moves and jobs by receiving province', async () => {
    const res = await ask('ca.ircc', ['toProvince']);
    expect(res.json.errors).toBeUndefined();
    expect(res.json.data!.relocationOutcomes).toMatchObject({ period: quarter, scope: 'ALL', groupBy: ['toProvince'] });
    expect(res.json.data!.relocationOutcomes.cells).toEqual([
      { fromProvince: null, toProvince: 'AB', noc: null, status: null, referrals: 25, acceptances: 0, moves: 0, jobs: 0, suppressed: false },
      { fromProvince: null, toProvince: 'NB', noc: null, status: null, referrals: 66, acceptances: 32, moves: 27, jobs: 23, suppressed: false },
      { fromProvince: null, toProvince: 'ON', noc: null, status: null, referrals: 37, acceptances: 14, moves: 0, jobs: 0, suppressed: false },
    ]);
    expect(await entryOf(res)).toMatchObject({ agency: 'ca.ircc', decision: 'PERMIT', subjects: [] });
    const total = (await cellsOf('ca.ircc', []))[0];
    expect(total).toMatchObject({ referrals: 128, acceptances: 46, moves: 27, jobs: 23, suppressed: false });
  });

  it('suppresses counts from 1 to 9 and their complements', async () => {
    const cells = await cellsOf('ca.ircc', ['toProvince', 'noc']);
    const on33102 = cells.find((c) => c.toProvince === 'ON' && c.noc === '33102')!;
    expect(on33102).toEqual({ fromProvince: null, toProvince: 'ON', noc: '33102', status: null, referrals: null, acceptances: null, moves: null, jobs: null, suppressed: true });
    expect(cells.filter((c) => c.suppressed).length).toBeGreaterThanOrEqual(2);
    for (const c of cells) if (!c.suppressed) for (const n of [c.referrals, c.acceptances, c.moves, c.jobs]) expect(n === 0 || n! >= 10).toBe(true);
    // Same table asked the other way round: the same pattern.
    const swapped = await cellsOf('ca.ircc', ['noc', 'toProvince']);
    expect(swapped).toEqual(cells);
  });

  it('publishes nothing from which the 3 referrals to Ontario for 33102 can be solved, whatever the attacker combines', async () => {
    // Unknowns: every (fromProvince, toProvince, noc, status) combination present (more than an attacker knows).
    const combos = POPULATION.map(([, to, noc, status]) => ({ fromProvince: 'QC', toProvince: to, noc, status }));
    const key = (c: Record<string, string>) => OUTCOME_DIMENSIONS.map((d) => c[d]).join('|');
    const idx = new Map(combos.map((c, i) => [key(c), i]));
    const eqs: number[][] = [];
    const groupings: string[][] = [[]];
    for (const a of OUTCOME_DIMENSIONS) groupings.push([a]);
    for (let i = 0; i < OUTCOME_DIMENSIONS.length; i++) for (let j = i + 1; j < OUTCOME_DIMENSIONS.length; j++) groupings.push([OUTCOME_DIMENSIONS[i], OUTCOME_DIMENSIONS[j]]);
    let suppressedSeen = 0;
    for (const groupBy of groupings) {
      for (const cell of await cellsOf('ca.ircc', groupBy)) {
        if (cell.suppressed) suppressedSeen++;
        if (cell.referrals === null) continue;
        const row = new Array(combos.length).fill(0);
        for (const c of combos) if (groupBy.every((d) => (cell as unknown as Record<string, string>)[d] === (c as Record<string, string>)[d])) row[idx.get(key(c))!] = 1;
        eqs.push(row);
      }
    }
    const target = idx.get('QC|ON|33102|REFERRED')!;
    expect(suppressedSeen).toBeGreaterThanOrEqual(4);
    expect(determinedUnknowns(eqs, combos.length)).not.toContain(target);
    // Control: the solver does find a cell that is derivable (Alberta's only combination).
    expect(determinedUnknowns(eqs, combos.length)).toContain(idx.get('QC|AB|65201|REFERRED')!);
  });

  it('answers only whole calendar quarters (no overlapping periods to difference) and at most two dimensions', async () => {
    for (const period of ['2026', '2026-10', '2026-10-01/2026-10-15', '2026-Q5', 'all']) {
      const res = await ask('ca.ircc', ['toProvince'], period);
      expect([period, res.json.errors?.[0].extensions?.code]).toEqual([period, 'BAD_USER_INPUT']);
      expect(await entryOf(res)).toMatchObject({ decision: 'DENY', reason: 'BAD_USER_INPUT' });
    }
    const three = await ask('ca.ircc', ['toProvince', 'noc', 'status']);
    expect(three.json.errors?.[0]).toMatchObject({ message: expect.stringContaining('at most 2 dimensions'), extensions: { code: 'BAD_USER_INPUT' } });
    // The previous quarter is its own answer: the 7 older referrals never mix with this one.
    const earlier = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 4, 15));
    const previous = `${earlier.getUTCFullYear()}-Q${Math.floor(earlier.getUTCMonth() / 3) + 1}`;
    const old = await ask('ca.ircc', [], previous);
    expect(old.json.data!.relocationOutcomes.cells).toEqual([{ fromProvince: null, toProvince: null, noc: null, status: null, referrals: null, acceptances: null, moves: null, jobs: null, suppressed: true }]);
  });

  it('shows a province only its own rows, and the referring province the rows it made', async () => {
    const nb = await ask('nb.petl', ['toProvince', 'status']);
    expect(nb.json.data!.relocationOutcomes.scope).toBe('NB');
    expect(new Set(nb.json.data!.relocationOutcomes.cells.map((c) => c.toProvince))).toEqual(new Set(['NB']));
    const on = await ask('on.mltsd', ['toProvince']);
    expect(on.json.data!.relocationOutcomes.cells).toEqual([{ fromProvince: null, toProvince: 'ON', noc: null, status: null, referrals: 37, acceptances: 14, moves: 0, jobs: 0, suppressed: false }]);
    const qc = await ask('qc.mifi', ['fromProvince']);
    expect(qc.json.data!.relocationOutcomes).toMatchObject({ scope: 'QC', cells: [{ fromProvince: 'QC', referrals: 128 }] });
  });

  it('refuses and audits an agency that is party to no RELOCATION agreement, and one asking under another purpose', async () => {
    const res = await ask('mb.ledr', ['toProvince']);
    expect(res.json.errors?.[0]).toMatchObject({ extensions: { code: 'NO_AGREEMENT' } });
    expect(res.json.data).toBeNull();
    expect(await entryOf(res)).toMatchObject({ agency: 'mb.ledr', decision: 'DENY', reason: 'NO_AGREEMENT', subjects: [] });
    const wrongPurpose = await registry.client('ca.ircc', stack.gateway.url).graphql<GraphqlBody<Outcomes>>(OUTCOMES, { p: quarter, g: ['toProvince'] }, 'STATISTICS');
    expect(wrongPurpose.json.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await entryOf(wrongPurpose)).toMatchObject({ agency: 'ca.ircc', decision: 'DENY' });
  });

  it('counts the offers in force during the quarter by province and occupation', async () => {
    const publish = await registry.client('nb.petl', stack.gateway.url).graphql<GraphqlBody<{ publishRelocationOffer: { id: string } }>>(
      `mutation($input: RelocationOfferInput!) { publishRelocationOffer(input: $input) { id } }`,
      { input: { regions: ['Moncton'], nocCodes: ['33102', '64410'], places: 40, periodStart: '2020-01-01', periodEnd: '2099-12-31', languageSupport: 'EN_AND_FR', settlementServices: ['HOUSING'], contact: { kind: 'EMAIL', value: 'relocation@nb.example' } } },
      'RELOCATION',
    );
    expect(publish.json.errors).toBeUndefined();
    const offers = (await ask('ca.ircc', ['toProvince'])).json.data!.relocationOutcomes.offers;
    expect(offers).toEqual([{ toProvince: 'NB', noc: '33102', offers: 1, places: 40 }, { toProvince: 'NB', noc: '64410', offers: 1, places: 40 }]);
    expect((await ask('on.mltsd', ['toProvince'])).json.data!.relocationOutcomes.offers).toEqual([]);
  });
});
