import type { GatewayResponse } from '@passerelle/client';
import type { Agreement } from '@passerelle/registry';
import { createTestDatabase, createTestRegistry, startTrustStack, type TestDatabase, type TestRegistry, type TrustStack } from '@passerelle/testing';

/**
 * Relocation offers (issue 16) through the real gateway and consent-audit: receiving provinces
 * (RECEIVER role) publish, amend and withdraw their own offers; an agency reads the offers of the
 * provinces it may refer to (a RELOCATION agreement in force from it to them). Every exchange,
 * refusals included, is in the ledger.
 */
const agreement = (id: string, provider: string, consumer: string): Agreement => ({
  id, provider, consumer, purposes: ['RELOCATION'], fields: ['nocCode', 'frenchLevel'], validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'test agreement',
});

interface GraphqlBody<T> {
  data: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}
interface Offer {
  id: string; agency: string; province: string; regions: string[]; nocCodes: string[]; places: number; periodStart: string; periodEnd: string;
  languageSupport: string; minFrenchLevel: number | null; minEnglishLevel: number | null; settlementServices: string[]; contact: { kind: string; value: string }; status: string; version: number;
}

const FIELDS = 'id agency province regions nocCodes places periodStart periodEnd languageSupport minFrenchLevel minEnglishLevel settlementServices contact { kind value } status version';
const PUBLISH = `mutation($input: RelocationOfferInput!) { publishRelocationOffer(input: $input) { ${FIELDS} } }`;
const AMEND = `mutation($id: ID!, $version: Int!, $input: RelocationOfferInput!) { amendRelocationOffer(id: $id, version: $version, input: $input) { ${FIELDS} } }`;
const WITHDRAW = `mutation($id: ID!) { withdrawRelocationOffer(id: $id) { ${FIELDS} } }`;
const OFFERS = `query($filter: RelocationOfferFilterInput) { relocationOffers(filter: $filter) { ${FIELDS} } }`;

const NB_TERMS = {
  regions: ['Moncton', 'Saint John'],
  nocCodes: ['33102', '65201'],
  places: 40,
  periodStart: '2027-01-01',
  periodEnd: '2027-06-30',
  languageSupport: 'EN_AND_FR',
  minFrenchLevel: 5,
  minEnglishLevel: null,
  settlementServices: ['HOUSING', 'LANGUAGE_TRAINING'],
  contact: { kind: 'EMAIL', value: 'relocation@petl.example' },
};
const ON_TERMS = { ...NB_TERMS, regions: ['Greater Sudbury'], nocCodes: ['73300'], languageSupport: 'EN', minFrenchLevel: null, minEnglishLevel: 6, contact: { kind: 'URL', value: 'https://mltsd.example/relocation' } };

describe('relocation offers', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let stack: TrustStack;

  const call = <T>(agency: string, query: string, variables?: Record<string, unknown>, purpose = 'RELOCATION') =>
    registry.client(agency, stack.gateway.url).graphql<GraphqlBody<T>>(query, variables, purpose as 'RELOCATION');
  const entryOf = async (res: GatewayResponse) => {
    const entry = (await stack.ledgerEntries()).find((e) => e.seq === res.auditSeq);
    if (!entry) throw new Error(`no ledger entry ${res.auditSeq}`);
    return entry;
  };
  const codeOf = (res: GatewayResponse<GraphqlBody<unknown>>) => res.json.errors?.[0]?.extensions?.code;

  beforeAll(async () => {
    [db, registry] = await Promise.all([
      createTestDatabase('offers'),
      createTestRegistry({
        agencies: [
          { id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'QC' },
          { id: 'ca.ircc', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'CA' },
          { id: 'nb.petl', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'NB' },
          { id: 'on.mltsd', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'ON' },
          // holds the role but is not a receiving jurisdiction
          { id: 'qc.pretender', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'QC' },
        ],
        // MIFI may refer to both provinces; IRCC only to Ontario.
        agreements: [agreement('dsa-mifi-petl', 'qc.mifi', 'nb.petl'), agreement('dsa-mifi-mltsd', 'qc.mifi', 'on.mltsd'), agreement('dsa-ircc-mltsd', 'ca.ircc', 'on.mltsd')],
      }),
    ]);
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url, gatewayEnv: { LOG_LEVEL: 'warn' } });
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
    await registry?.cleanup();
  });

  it('a receiving province publishes an offer, and only the agencies that may refer to it read it', async () => {
    const published = await call<{ publishRelocationOffer: Offer }>('nb.petl', PUBLISH, { input: NB_TERMS });
    expect(published.json.errors).toBeUndefined();
    const nb = published.json.data!.publishRelocationOffer;
    expect(nb).toMatchObject({ ...NB_TERMS, agency: 'nb.petl', province: 'NB', status: 'OPEN', version: 1 });
    expect(await entryOf(published)).toMatchObject({ agency: 'nb.petl', purpose: 'RELOCATION', decision: 'PERMIT', subjects: [] });
    const on = (await call<{ publishRelocationOffer: Offer }>('on.mltsd', PUBLISH, { input: ON_TERMS })).json.data!.publishRelocationOffer;

    const ids = async (agency: string, filter?: Record<string, unknown>) => (await call<{ relocationOffers: Offer[] }>(agency, OFFERS, { filter })).json.data!.relocationOffers.map((o) => o.id);
    expect(new Set(await ids('qc.mifi'))).toEqual(new Set([nb.id, on.id]));
    expect(await ids('ca.ircc')).toEqual([on.id]);
    expect(await ids('nb.petl')).toEqual([nb.id]);
    expect(await ids('qc.mifi', { province: 'NB' })).toEqual([nb.id]);
    expect(await ids('qc.mifi', { nocCode: '73300' })).toEqual([on.id]);
    const bad = await call<unknown>('qc.mifi', OFFERS, { filter: { nocCode: '733' } });
    expect(bad.json.errors?.[0]).toMatchObject({ message: 'filter.nocCode must be a NOC 2021 code of exactly 5 digits', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('refuses an offer from an agency without the RECEIVER role, from a non-receiving jurisdiction, or under another purpose, and audits each refusal', async () => {
    const noRole = await call<unknown>('qc.mifi', PUBLISH, { input: NB_TERMS });
    expect(codeOf(noRole)).toBe('FORBIDDEN');
    expect(await entryOf(noRole)).toMatchObject({ agency: 'qc.mifi', decision: 'DENY', reason: 'FORBIDDEN' });
    const pretender = await call<unknown>('qc.pretender', PUBLISH, { input: NB_TERMS });
    expect(pretender.json.errors?.[0]).toMatchObject({ message: 'agency qc.pretender is not a receiving province or territory in the registry, so it cannot offer relocation', extensions: { code: 'FORBIDDEN' } });
    expect(await entryOf(pretender)).toMatchObject({ decision: 'DENY', reason: 'FORBIDDEN' });
    const purpose = await call<unknown>('nb.petl', PUBLISH, { input: NB_TERMS }, 'JOB_MATCHING');
    expect(codeOf(purpose)).toBe('FORBIDDEN');
    const terms = await call<unknown>('nb.petl', PUBLISH, { input: { ...NB_TERMS, languageSupport: 'BOTH' } });
    expect(terms.json.errors?.[0]).toMatchObject({ message: 'languageSupport must be one of EN, FR, EN_AND_FR', extensions: { code: 'BAD_USER_INPUT' } });
    expect(await entryOf(terms)).toMatchObject({ decision: 'DENY', reason: 'BAD_USER_INPUT' });
  });

  it('a province amends its own offer at the version it read; a stale version, a replay or another province is refused', async () => {
    const nb = (await call<{ publishRelocationOffer: Offer }>('nb.petl', PUBLISH, { input: NB_TERMS })).json.data!.publishRelocationOffer;
    const amended = await call<{ amendRelocationOffer: Offer }>('nb.petl', AMEND, { id: nb.id, version: 1, input: { ...NB_TERMS, places: 60 } });
    expect(amended.json.errors).toBeUndefined();
    expect(amended.json.data!.amendRelocationOffer).toMatchObject({ id: nb.id, places: 60, version: 2 });
    expect(await entryOf(amended)).toMatchObject({ decision: 'PERMIT' });

    const replay = await call<unknown>('nb.petl', AMEND, { id: nb.id, version: 1, input: { ...NB_TERMS, places: 70 } });
    expect(replay.json.errors?.[0]).toMatchObject({ message: 'this relocation offer is at version 2, not 1; read it again and amend that version', extensions: { code: 'CONFLICT' } });
    expect(await entryOf(replay)).toMatchObject({ decision: 'DENY', reason: 'CONFLICT' });

    // Another province cannot tell another's offer from no offer at all.
    const foreign = await call<unknown>('on.mltsd', AMEND, { id: nb.id, version: 2, input: ON_TERMS });
    const missing = await call<unknown>('on.mltsd', AMEND, { id: '00000000-0000-4000-8000-000000000000', version: 1, input: ON_TERMS });
    expect(foreign.json.errors?.[0]).toMatchObject({ message: 'no relocation offer with this id is yours', extensions: { code: 'NOT_FOUND' } });
    expect(missing.json.errors?.[0]).toEqual(foreign.json.errors?.[0]);
    expect(await entryOf(foreign)).toMatchObject({ agency: 'on.mltsd', decision: 'DENY', reason: 'NOT_FOUND' });
    const unchanged = (await call<{ relocationOffers: Offer[] }>('nb.petl', OFFERS)).json.data!.relocationOffers.find((o) => o.id === nb.id);
    expect(unchanged).toMatchObject({ places: 60, version: 2 });
  });

  it('a province withdraws its own offer once; withdrawn offers leave the list and can no longer be amended', async () => {
    const nb = (await call<{ publishRelocationOffer: Offer }>('nb.petl', PUBLISH, { input: NB_TERMS })).json.data!.publishRelocationOffer;
    const foreign = await call<unknown>('on.mltsd', WITHDRAW, { id: nb.id });
    expect(codeOf(foreign)).toBe('NOT_FOUND');
    const withdrawn = await call<{ withdrawRelocationOffer: Offer }>('nb.petl', WITHDRAW, { id: nb.id });
    expect(withdrawn.json.data!.withdrawRelocationOffer).toMatchObject({ id: nb.id, status: 'WITHDRAWN', version: 2 });
    const again = await call<unknown>('nb.petl', WITHDRAW, { id: nb.id });
    expect(again.json.errors?.[0]).toMatchObject({ message: 'this relocation offer is withdrawn; publish a new one instead', extensions: { code: 'CONFLICT' } });
    expect(await entryOf(again)).toMatchObject({ decision: 'DENY', reason: 'CONFLICT' });
    expect(codeOf(await call<unknown>('nb.petl', AMEND, { id: nb.id, version: 2, input: NB_TERMS }))).toBe('CONFLICT');
    const open = (await call<{ relocationOffers: Offer[] }>('qc.mifi', OFFERS)).json.data!.relocationOffers.map((o) => o.id);
    expect(open).not.toContain(nb.id);
    const all = (await call<{ relocationOffers: Offer[] }>('qc.mifi', OFFERS, { filter: { includeWithdrawn: true } })).json.data!.relocationOffers;
    expect(all.find((o) => o.id === nb.id)).toMatchObject({ status: 'WITHDRAWN' });
  });
});
