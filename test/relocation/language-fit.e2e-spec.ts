import { createHash, randomBytes } from 'node:crypto';
import { loadPseudonymKeyring, toAgencyPseudonym, toInternalId, type PseudonymKeyring } from '@passerelle/crypto';
import type { GatewayResponse } from '@passerelle/client';
import type { Agreement } from '@passerelle/registry';
import { createTestDatabase, createTestRegistry, queryAsOwner, startTrustStack, uniqueName, type TestDatabase, type TestRegistry, type TrustStack } from '@passerelle/testing';

/**
 * Language levels in the fit of relocationCandidates (issue 16): an offer's minimum English (CLB)
 * and French (NCLC) levels decide who fits, on the levels the offering province may see under
 * agreement and consent; a province whose agreement does not give it the levels is told of nobody.
 */
const agreement = (id: string, provider: string, consumer: string, fields: Agreement['fields']): Agreement => ({
  id, provider, consumer, purposes: ['RELOCATION'], fields, validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'test agreement',
});
interface GraphqlBody<T> {
  data: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}
type Candidates = { relocationCandidates: { consenting: { value: number | null; suppressed: boolean }; willing: Array<{ pseudonym: string }> } };
const SUBMIT = `mutation($records: [ClaimantInput!]!) { submitClaimants(records: $records) { accepted { index pseudonym } rejected { index reason } } }`;
const PUBLISH = `mutation($input: RelocationOfferInput!) { publishRelocationOffer(input: $input) { id } }`;
const CANDIDATES = `query($o: ID!) { relocationCandidates(offer: $o) { consenting { value suppressed } willing { pseudonym } } }`;
const RECORD = `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`;
const terms = (languageSupport: string, minFrenchLevel: number | null, minEnglishLevel: number | null) => ({
  regions: ['Moncton'], nocCodes: ['33102'], places: 10, periodStart: '2027-01-01', periodEnd: '2027-12-31', languageSupport, minFrenchLevel, minEnglishLevel,
  settlementServices: ['LANGUAGE_TRAINING'], contact: { kind: 'EMAIL', value: 'relocation@province.example' },
});

describe('language levels in the relocation fit', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let stack: TrustStack;
  let keyring: PseudonymKeyring;
  const call = <T>(agency: string, query: string, variables: Record<string, unknown>, purpose = 'RELOCATION') =>
    registry.client(agency, stack.gateway.url).graphql<GraphqlBody<T>>(query, variables, purpose as 'RELOCATION');
  const entryOf = async (res: GatewayResponse) => (await stack.ledgerEntries()).find((e) => e.seq === res.auditSeq)!;
  const groups: Record<string, string[]> = { english7: [], english5: [], french9: [] };

  beforeAll(async () => {
    [db, registry] = await Promise.all([
      createTestDatabase('langfit'),
      createTestRegistry({
        agencies: [
          { id: 'ca.esdc', roles: ['CONSUMER', 'PUBLISHER'], jurisdiction: 'CA' },
          { id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'QC' },
          { id: 'nb.petl', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'NB' },
          { id: 'on.mltsd', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'ON' },
        ],
        agreements: [agreement('dsa-mifi-petl', 'qc.mifi', 'nb.petl', ['nocCode', 'frenchLevel', 'englishLevel']), agreement('dsa-mifi-mltsd', 'qc.mifi', 'on.mltsd', ['nocCode'])],
      }),
    ]);
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url, gatewayEnv: { LOG_LEVEL: 'warn' } });
    keyring = await loadPseudonymKeyring(stack.secretsDir);
    // 12 with CLB 7, 4 with CLB 5, 11 with NCLC 9 and no English tested; each with a match in NB and ON for 33102, willing to go to both.
    const plan: Array<[keyof typeof groups, number, { englishLevel?: number; frenchLevel?: number }]> = [['english7', 12, { englishLevel: 7 }], ['english5', 4, { englishLevel: 5 }], ['french9', 11, { frenchLevel: 9 }]];
    const records = plan.flatMap(([group, n, levels]) => Array.from({ length: n }, () => ({ group, clientId: uniqueName('CLIENT'), ...levels })));
    const submitted = await call<{ submitClaimants: { accepted: Array<{ index: number; pseudonym: string }>; rejected: unknown[] } }>('qc.mifi', SUBMIT, { records: records.map(({ group: _g, ...r }) => r) }, 'PROVISION');
    expect(submitted.json.data!.submitClaimants.rejected).toEqual([]);
    for (const r of records) {
      const subject = toInternalId(keyring, r.clientId);
      groups[r.group].push(subject);
      for (const province of ['NB', 'ON']) {
        await queryAsOwner(db.url,
          `INSERT INTO job_matches (publisher, event_id, batch_id, subject, posting_id, title, noc_code, province, city, hourly_wage_cents, language_requirement, score, matched_at)
           VALUES ('ca.esdc', $1, 'b1', $2, $1, 'Job', '33102', $3, 'City', 2500, 'EN_OR_FR', 0.9, now())`, [uniqueName('event'), subject, province]);
      }
      for (const recipient of ['nb.petl', 'on.mltsd']) {
        const consent = await call<unknown>('qc.mifi', RECORD, {
          input: {
            pseudonym: toAgencyPseudonym(keyring, 'qc.mifi', subject), purpose: 'RELOCATION', recipient,
            validFrom: new Date(Date.now() - 3600_000).toISOString(), expiresAt: new Date(Date.now() + 3600_000).toISOString(),
            evidenceSha256: createHash('sha256').update(randomBytes(8)).digest('base64url'),
          },
        }, 'CONSENT_MANAGEMENT');
        expect(consent.json.errors).toBeUndefined();
      }
    }
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
    await registry?.cleanup();
  });

  const fit = async (agency: string, input: ReturnType<typeof terms>) => {
    const offer = await call<{ publishRelocationOffer: { id: string } }>(agency, PUBLISH, { input });
    expect(offer.json.errors).toBeUndefined();
    const res = await call<Candidates>(agency, CANDIDATES, { o: offer.json.data!.publishRelocationOffer.id });
    expect(res.json.errors).toBeUndefined();
    return { answer: res.json.data!.relocationCandidates, res };
  };
  const pseudonyms = (agency: string, ...names: string[]) => new Set(names.flatMap((n) => groups[n]).map((s) => toAgencyPseudonym(keyring, agency, s)));

  it('an English offer at CLB 6 fits the CLB 7 claimants only, and reads englishLevel under the agreement', async () => {
    const { answer, res } = await fit('nb.petl', terms('EN', null, 6));
    expect(answer.consenting).toEqual({ value: 12, suppressed: false });
    expect(new Set(answer.willing.map((w) => w.pseudonym))).toEqual(pseudonyms('nb.petl', 'english7'));
    expect(await entryOf(res)).toMatchObject({ decision: 'PERMIT', fields: ['englishLevel', 'nocCode'] });
  });

  it('a French offer at NCLC 7 fits the NCLC 9 claimants; a bilingual one fits either scale', async () => {
    const french = (await fit('nb.petl', terms('FR', 7, null))).answer;
    expect(french.consenting).toEqual({ value: 11, suppressed: false });
    expect(new Set(french.willing.map((w) => w.pseudonym))).toEqual(pseudonyms('nb.petl', 'french9'));
    const both = (await fit('nb.petl', terms('EN_AND_FR', 7, 6))).answer;
    expect(both.consenting).toEqual({ value: 23, suppressed: false });
    expect(new Set(both.willing.map((w) => w.pseudonym))).toEqual(pseudonyms('nb.petl', 'english7', 'french9'));
    const high = (await fit('nb.petl', terms('EN', null, 8))).answer;
    expect(high).toEqual({ consenting: { value: 0, suppressed: false }, willing: [] });
    const none = (await fit('nb.petl', terms('EN_AND_FR', null, null))).answer;
    expect(none.consenting).toEqual({ value: 27, suppressed: false });
  });

  it('a province whose agreement does not give it the levels is told of nobody for a language condition, and nothing of them is disclosed', async () => {
    const { answer, res } = await fit('on.mltsd', terms('EN', null, 6));
    expect(answer).toEqual({ consenting: { value: 0, suppressed: false }, willing: [] });
    expect(await entryOf(res)).toMatchObject({ decision: 'PERMIT', subjects: [], fields: [] });
    // Without a language condition it sees them all, by nocCode only.
    expect((await fit('on.mltsd', terms('EN', null, null))).answer.consenting).toEqual({ value: 27, suppressed: false });
  });
});
