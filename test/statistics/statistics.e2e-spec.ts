import type { Agreement } from '@passerelle/registry';
import {
  createTestDatabase,
  createTestRegistry,
  startFakeLedger,
  startTestGateway,
  type FakeLedger,
  type TestDatabase,
  type TestGateway,
  type TestRegistry,
} from '@passerelle/testing';

/** statistics(groupBy, filter) through the signed gateway, on the real database. */
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
  let ledger: FakeLedger;
  let registry: TestRegistry;
  let gateway: TestGateway;

  beforeAll(async () => {
    db = await createTestDatabase('stats');
    ledger = await startFakeLedger();
    registry = await createTestRegistry({
      // A STATISTICS agreement: its purpose matters, not its field list.
      agreements: [agreement('dsa-msss-ircc-stats', 'qc.msss', 'ca.ircc', ['STATISTICS'], ['province'])],
    });
    gateway = await startTestGateway({ registryFile: registry.file, databaseUrl: db.url, consentAuditUrl: ledger.url });
    const records = [
      ...Array.from({ length: 40 }, (_, i) => ({ clientId: `QC-${i}`, province: 'QC', claimStatus: i < 25 ? 'PENDING' : 'REJECTED', frenchLevel: 6 })),
      ...Array.from({ length: 15 }, (_, i) => ({ clientId: `ON-${i}`, province: 'ON', claimStatus: 'PENDING' })),
      ...Array.from({ length: 4 }, (_, i) => ({ clientId: `PE-${i}`, province: 'PE', claimStatus: 'PENDING' })),
    ];
    const res = await registry.client('qc.msss', gateway.url).graphql<Gql<unknown>>(
      `mutation($r: [ClaimantInput!]!) { submitClaimants(records: $r) { rejected { index } } }`,
      { r: records },
      'PROVISION',
    );
    expect(res.json.errors).toBeUndefined();
  });

  afterAll(async () => {
    await gateway?.stop();
    await ledger?.stop();
    await registry?.cleanup();
    await db?.drop();
  });

  it('suppresses the small cell and its complement, withholds the total, and records the fields used', async () => {
    const res = await registry.client('ca.ircc', gateway.url).graphql<Gql<Stats>>(STATS, { g: 'province' }, 'STATISTICS');
    expect(res.json.errors).toBeUndefined();
    expect(res.json.data!.statistics).toMatchObject({
      total: null,
      suppressedCells: 2,
      cells: [
        { key: 'ON', count: null, suppressed: true },
        { key: 'PE', count: null, suppressed: true },
        { key: 'QC', count: 40, suppressed: false },
      ],
    });
    await ledger.waitForEntries(ledger.entries.length);
    const entry = ledger.entries.find((e) => e.jti === res.jti)!;
    expect(entry).toMatchObject({ decision: 'PERMIT', purpose: 'STATISTICS', subjects: [], fields: ['province'] });
  });

  it('answers a filtered query as a slice of the protected two-way table', async () => {
    const res = await registry.client('ca.ircc', gateway.url).graphql<Gql<Stats>>(STATS, { g: 'claimStatus', f: { dimension: 'province', value: 'QC' } }, 'STATISTICS');
    expect(res.json.errors).toBeUndefined();
    expect(res.json.data!.statistics.cells.find((c) => c.key === 'PENDING')).toBeDefined();
    for (const c of res.json.data!.statistics.cells) if (c.count !== null) expect(c.count === 0 || c.count >= 10).toBe(true);
  });

  it('refuses bad queries and callers without a STATISTICS agreement, and audits the denial', async () => {
    const ircc = registry.client('ca.ircc', gateway.url);
    const same = await ircc.graphql<Gql<unknown>>(STATS, { g: 'province', f: { dimension: 'province', value: 'QC' } }, 'STATISTICS');
    expect(same.json.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('filter.dimension must differ from groupBy') });
    const badValue = await ircc.graphql<Gql<unknown>>(STATS, { g: 'nocCode', f: { dimension: 'sector', value: 'HOSPITALS' } }, 'STATISTICS');
    expect(badValue.json.errors![0].message).toMatch(/^filter.value must be one of HEALTH_CARE/);
    const none = await registry.client('qc.mifi', gateway.url).graphql<Gql<unknown>>(STATS, { g: 'province' }, 'STATISTICS');
    expect(none.json.errors![0].extensions).toMatchObject({ code: 'NO_AGREEMENT' });
    await ledger.waitForEntries(ledger.entries.length);
    expect(ledger.entries.find((e) => e.jti === none.jti)).toMatchObject({ decision: 'DENY', reason: 'NO_AGREEMENT' });
    const wrongPurpose = await ircc.graphql<Gql<unknown>>(STATS, { g: 'province' }, 'PROGRAM_ELIGIBILITY');
    expect(wrongPurpose.json.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });
  });
});
