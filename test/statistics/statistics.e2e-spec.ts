import type { LedgerEntryJson } from '@passerelle/contracts';
import type { GatewayResponse } from '@passerelle/client';
import type { Agreement } from '@passerelle/registry';
import { createTestDatabase, createTestRegistry, startTrustStack, type TestDatabase, type TestRegistry, type TrustStack } from '@passerelle/testing';

/**
 * statistics(groupBy, filter) through the signed gateway and the real consent-audit (ledger and
 * all), on the real database. Agreements name fields for statistics as for anything else: a
 * dimension counts only values from providers whose STATISTICS agreement names its field.
 */
const NEXT_YEAR = `${new Date().getUTCFullYear() + 1}-12-31`;
const agreement = (id: string, provider: string, consumer: string, purposes: Agreement['purposes'], fields: Agreement['fields']): Agreement => ({
  id,
  provider,
  consumer,
  purposes,
  fields,
  validFrom: '2020-01-01',
  validTo: NEXT_YEAR,
  legalBasis: 'test',
});
const STATS = `query($g: StatisticsDimension!, $f: StatisticsFilterInput) { statistics(groupBy: $g, filter: $f) { groupBy filterDimension filterValue total suppressedCells cells { key count suppressed } } }`;
type Gql<T> = { data?: T; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
type Stats = { statistics: { total: number | null; suppressedCells: number; cells: Array<{ key: string; count: number | null; suppressed: boolean }> } };

describe('statistics through the gateway', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let stack: TrustStack;
  const client = (agency: string) => registry.client(agency, stack.gateway.url);
  const entryOf = async (res: GatewayResponse): Promise<LedgerEntryJson> => {
    const entry = (await stack.ledgerEntries()).find((e) => e.jti === res.jti);
    if (!entry) throw new Error(`no ledger entry for this exchange (HTTP ${res.status})`);
    return entry;
  };
  const submit = async (provider: string, records: unknown[]) => {
    const res = await client(provider).graphql<Gql<unknown>>(`mutation($r: [ClaimantInput!]!) { submitClaimants(records: $r) { rejected { index } } }`, { r: records }, 'PROVISION');
    expect(res.json.errors).toBeUndefined();
  };

  beforeAll(async () => {
    db = await createTestDatabase('stats');
    registry = await createTestRegistry({
      agreements: [
        // msss gives ircc province and claim status for statistics; mifi gives province only.
        agreement('dsa-msss-ircc-stats', 'qc.msss', 'ca.ircc', ['STATISTICS'], ['province', 'claimStatus']),
        agreement('dsa-mifi-ircc-stats', 'qc.mifi', 'ca.ircc', ['STATISTICS'], ['province']),
        // A field named for another purpose does not count for statistics.
        agreement('dsa-mifi-ircc-jobs', 'qc.mifi', 'ca.ircc', ['JOB_MATCHING'], ['sector', 'claimStatus']),
      ],
    });
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url });
    await submit('qc.msss', [
      ...Array.from({ length: 40 }, (_, i) => ({ clientId: `QC-${i}`, province: 'QC', claimStatus: i < 25 ? 'PENDING' : 'REJECTED', frenchLevel: 6 })),
      ...Array.from({ length: 15 }, (_, i) => ({ clientId: `ON-${i}`, province: 'ON', claimStatus: 'PENDING' })),
      ...Array.from({ length: 4 }, (_, i) => ({ clientId: `PE-${i}`, province: 'PE', claimStatus: 'PENDING' })),
    ]);
    // mifi holds 30 other claimants, all ACCEPTED in health care: its agreement names neither field for statistics.
    await submit('qc.mifi', Array.from({ length: 30 }, (_, i) => ({ clientId: `MIFI-${i}`, province: 'NB', claimStatus: 'ACCEPTED', sector: 'HEALTH_CARE' })));
  });

  afterAll(async () => {
    await stack?.stop();
    await registry?.cleanup();
    await db?.drop();
  });

  it('suppresses the small cell and its complement, withholds the total, and records the fields used', async () => {
    const res = await client('ca.ircc').graphql<Gql<Stats>>(STATS, { g: 'province' }, 'STATISTICS');
    expect(res.json.errors).toBeUndefined();
    // Both agreements name province: msss's and mifi's claimants are counted.
    expect(res.json.data!.statistics).toMatchObject({
      total: null,
      suppressedCells: 2,
      cells: [
        { key: 'NB', count: 30, suppressed: false },
        { key: 'ON', count: null, suppressed: true },
        { key: 'PE', count: null, suppressed: true },
        { key: 'QC', count: 40, suppressed: false },
      ],
    });
    expect(await entryOf(res)).toMatchObject({ decision: 'PERMIT', purpose: 'STATISTICS', subjects: [], fields: ['province'] });
  });

  it('answers a filtered query as a slice of the protected two-way table', async () => {
    const res = await client('ca.ircc').graphql<Gql<Stats>>(STATS, { g: 'claimStatus', f: { dimension: 'province', value: 'QC' } }, 'STATISTICS');
    expect(res.json.errors).toBeUndefined();
    expect(res.json.data!.statistics.cells.find((c) => c.key === 'PENDING')).toBeDefined();
    for (const c of res.json.data!.statistics.cells) if (c.count !== null) expect(c.count === 0 || c.count >= 10).toBe(true);
    expect([...(await entryOf(res)).fields].sort()).toEqual(['claimStatus', 'province']);
  });

  it("agreements gate statistics field by field: another provider's records are never grouped by a field its agreement does not name", async () => {
    const ircc = client('ca.ircc');
    // claimStatus: only msss's STATISTICS agreement names it, so mifi's 30 ACCEPTED claimants are not counted at all.
    const byStatus = await ircc.graphql<Gql<Stats>>(STATS, { g: 'claimStatus' }, 'STATISTICS');
    expect(byStatus.json.errors).toBeUndefined();
    expect(byStatus.json.data!.statistics.cells.map((c) => c.key)).not.toContain('ACCEPTED');
    expect(byStatus.json.data!.statistics.cells).toContainEqual({ key: 'PENDING', count: 44, suppressed: false });
    // The same slice from the other side: in NB (mifi's claimants) no claim status may be counted.
    const nb = await ircc.graphql<Gql<Stats>>(STATS, { g: 'claimStatus', f: { dimension: 'province', value: 'NB' } }, 'STATISTICS');
    expect(nb.json.data!.statistics.cells.filter((c) => c.key === 'ACCEPTED' && c.count !== 0)).toEqual([]);
  });

  it('refuses a dimension or filter no STATISTICS agreement names, and audits the refusal', async () => {
    const ircc = client('ca.ircc');
    for (const [vars, field] of [
      [{ g: 'sector' }, 'sector'],
      [{ g: 'nocCode' }, 'nocCode'],
      [{ g: 'frenchBand' }, 'frenchLevel'],
      [{ g: 'province', f: { dimension: 'sector', value: 'HEALTH_CARE' } }, 'sector'],
    ] as const) {
      const res = await ircc.graphql<Gql<Stats>>(STATS, vars, 'STATISTICS');
      expect(res.json.errors?.[0]).toMatchObject({ extensions: { code: 'NO_AGREEMENT' }, message: expect.stringContaining(`no STATISTICS agreement in force to ca.ircc names the field ${field}`) });
      expect(await entryOf(res)).toMatchObject({ decision: 'DENY', reason: 'NO_AGREEMENT', subjects: [] });
    }
  });

  it('prices statistics as the heavy operation it is: many aliased calls in one document are refused before execution', async () => {
    const ircc = client('ca.ircc');
    const calls = (n: number) => `query { ${Array.from({ length: n }, (_, i) => `s${i}: statistics(groupBy: province) { total cells { key count } }`).join(' ')} }`;
    const one = await ircc.graphql<Gql<unknown>>(calls(1), undefined, 'STATISTICS');
    expect(one.json.errors).toBeUndefined();
    for (const n of [2, 10]) {
      const res = await ircc.graphql<Gql<unknown>>(calls(n), undefined, 'STATISTICS');
      expect(res.json.data ?? null).toBeNull();
      expect(res.json.errors?.[0]).toMatchObject({ extensions: { code: 'QUERY_TOO_COMPLEX' }, message: expect.stringContaining(`${n} × statistics at 15000 each; send one statistics query per request`) });
      expect(await entryOf(res)).toMatchObject({ decision: 'DENY', reason: 'QUERY_TOO_COMPLEX', fields: [] });
    }
    // Fragments do not hide them either.
    const spread = await ircc.graphql<Gql<unknown>>(`query { ...A } fragment A on Query { a: statistics(groupBy: province) { total } b: statistics(groupBy: claimStatus) { total } }`, undefined, 'STATISTICS');
    expect(spread.json.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX' });
  });

  it('refuses bad queries and callers without a STATISTICS agreement, and audits the denial', async () => {
    const ircc = client('ca.ircc');
    const same = await ircc.graphql<Gql<unknown>>(STATS, { g: 'province', f: { dimension: 'province', value: 'QC' } }, 'STATISTICS');
    expect(same.json.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('filter.dimension must differ from groupBy') });
    const badValue = await ircc.graphql<Gql<unknown>>(STATS, { g: 'nocCode', f: { dimension: 'sector', value: 'HOSPITALS' } }, 'STATISTICS');
    expect(badValue.json.errors![0].message).toMatch(/^filter.value must be one of HEALTH_CARE/);
    const none = await client('qc.mifi').graphql<Gql<unknown>>(STATS, { g: 'province' }, 'STATISTICS');
    expect(none.json.errors![0].extensions).toMatchObject({ code: 'NO_AGREEMENT' });
    expect(await entryOf(none)).toMatchObject({ decision: 'DENY', reason: 'NO_AGREEMENT' });
    const wrongPurpose = await ircc.graphql<Gql<unknown>>(STATS, { g: 'province' }, 'PROGRAM_ELIGIBILITY');
    expect(wrongPurpose.json.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });
  });
});
