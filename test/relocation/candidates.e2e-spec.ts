import { createHash, randomBytes } from 'node:crypto';
import { loadPseudonymKeyring, toAgencyPseudonym, toInternalId, type PseudonymKeyring } from '@passerelle/crypto';
import type { GatewayResponse } from '@passerelle/client';
import type { Agreement } from '@passerelle/registry';
import { createTestDatabase, createTestRegistry, queryAsOwner, startTrustStack, uniqueName, type TestDatabase, type TestRegistry, type TrustStack } from '@passerelle/testing';

/**
 * relocationCandidates(offer) (issue 16): the offering province sees a protected count of the
 * claimants who fit its offer (a job match in its province for one of the offer's occupations)
 * and whose data it may see under agreement and consent, and identities (its own pseudonyms)
 * only of those whose willingness to relocate names it.
 */
const agreement = (id: string, provider: string, consumer: string): Agreement => ({
  id, provider, consumer, purposes: ['RELOCATION'], fields: ['nocCode'], validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'test agreement',
});
interface GraphqlBody<T> {
  data: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}
type Candidates = { relocationCandidates: { offerId: string; consenting: { value: number | null; suppressed: boolean }; willing: Array<{ pseudonym: string; nocCodes: string[] }> } };

const PUBLISH = `mutation($input: RelocationOfferInput!) { publishRelocationOffer(input: $input) { id } }`;
const CANDIDATES = `query($o: ID!) { relocationCandidates(offer: $o) { offerId consenting { value suppressed } willing { pseudonym nocCodes } } }`;
const RECORD = `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`;
const REVOKE = `mutation($id: String!) { revokeConsent(consentId: $id) { id } }`;
const terms = (nocCodes: string[]) => ({
  regions: ['Moncton'], nocCodes, places: 10, periodStart: '2027-01-01', periodEnd: '2027-12-31', languageSupport: 'EN_AND_FR', settlementServices: ['HOUSING'], contact: { kind: 'EMAIL', value: 'relocation@province.example' },
});

describe('relocation candidates', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let stack: TrustStack;
  let keyring: PseudonymKeyring;
  const call = <T>(agency: string, query: string, variables: Record<string, unknown>, purpose = 'RELOCATION') =>
    registry.client(agency, stack.gateway.url).graphql<GraphqlBody<T>>(query, variables, purpose as 'RELOCATION');
  const entryOf = async (res: GatewayResponse) => (await stack.ledgerEntries()).find((e) => e.seq === res.auditSeq)!;

  /** A claimant with a job match in `province` for `noc`, and a willingness toward `willingTo` (if any). */
  const claimant = async (province: string, noc: string, willingTo?: string) => {
    const subject = toInternalId(keyring, uniqueName('CLIENT'));
    await queryAsOwner(db.url,
      `INSERT INTO job_matches (publisher, event_id, batch_id, subject, posting_id, title, noc_code, province, city, hourly_wage_cents, language_requirement, score, matched_at)
       VALUES ('ca.esdc', $1, 'b1', $2, $1, 'Job', $3, $4, 'Somewhere', 2500, 'EN_OR_FR', 0.9, now())`,
      [uniqueName('event'), subject, noc, province]);
    let consentId: string | undefined;
    if (willingTo) {
      const res = await call<{ recordConsent: { id: string } }>('qc.mifi', RECORD, {
        input: {
          pseudonym: toAgencyPseudonym(keyring, 'qc.mifi', subject), purpose: 'RELOCATION', recipient: willingTo,
          validFrom: new Date(Date.now() - 3600_000).toISOString(), expiresAt: new Date(Date.now() + 3600_000).toISOString(),
          evidenceSha256: createHash('sha256').update(randomBytes(8)).digest('base64url'),
        },
      }, 'CONSENT_MANAGEMENT');
      expect(res.json.errors).toBeUndefined();
      consentId = res.json.data!.recordConsent.id;
    }
    return { subject, consentId };
  };

  beforeAll(async () => {
    [db, registry] = await Promise.all([
      createTestDatabase('candidates'),
      createTestRegistry({
        agencies: [
          { id: 'ca.esdc', roles: ['CONSUMER', 'PUBLISHER'], jurisdiction: 'CA' },
          { id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'QC' },
          { id: 'nb.petl', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'NB' },
          { id: 'on.mltsd', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'ON' },
        ],
        agreements: [agreement('dsa-mifi-petl', 'qc.mifi', 'nb.petl'), agreement('dsa-mifi-mltsd', 'qc.mifi', 'on.mltsd')],
      }),
    ]);
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url, gatewayEnv: { LOG_LEVEL: 'warn' } });
    keyring = await loadPseudonymKeyring(stack.secretsDir);
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
    await registry?.cleanup();
  });

  it("counts consenting claimants who fit the offer, and names only those whose willingness names the province; the other province's claimants stay out", async () => {
    const offer = (await call<{ publishRelocationOffer: { id: string } }>('nb.petl', PUBLISH, { input: terms(['33102', '65201']) })).json.data!.publishRelocationOffer.id;
    const willing = [];
    for (let i = 0; i < 11; i++) willing.push(await claimant('NB', i % 2 ? '33102' : '65201', 'nb.petl'));
    await claimant('NB', '33102'); // fits, never consented
    const towardOntario = await claimant('NB', '33102', 'on.mltsd'); // fits, willing to go to Ontario only
    await claimant('NB', '73300', 'nb.petl'); // willing, but no occupation of the offer
    await claimant('ON', '33102', 'nb.petl'); // willing, but the match is in Ontario

    const res = await call<Candidates>('nb.petl', CANDIDATES, { o: offer });
    expect(res.json.errors).toBeUndefined();
    const answer = res.json.data!.relocationCandidates;
    expect(answer.consenting).toEqual({ value: 11, suppressed: false });
    expect(new Set(answer.willing.map((w) => w.pseudonym))).toEqual(new Set(willing.map((w) => toAgencyPseudonym(keyring, 'nb.petl', w.subject))));
    expect(answer.willing.map((w) => w.pseudonym)).not.toContain(toAgencyPseudonym(keyring, 'nb.petl', towardOntario.subject));
    const entry = await entryOf(res);
    expect(entry).toMatchObject({ agency: 'nb.petl', decision: 'PERMIT', fields: ['nocCode'] });
    expect([...entry.subjects].sort()).toEqual(willing.map((w) => w.subject).sort());

    // The willingness of one claimant ends: no longer named, and the count falls to 10.
    await call<unknown>('qc.mifi', REVOKE, { id: willing[0].consentId }, 'CONSENT_MANAGEMENT');
    const after = (await call<Candidates>('nb.petl', CANDIDATES, { o: offer })).json.data!.relocationCandidates;
    expect(after.consenting).toEqual({ value: 10, suppressed: false });
    expect(after.willing.map((w) => w.pseudonym)).not.toContain(toAgencyPseudonym(keyring, 'nb.petl', willing[0].subject));
  });

  it('suppresses a count from 1 to 9', async () => {
    const offer = (await call<{ publishRelocationOffer: { id: string } }>('on.mltsd', PUBLISH, { input: terms(['41200']) })).json.data!.publishRelocationOffer.id;
    for (let i = 0; i < 3; i++) await claimant('ON', '41200', 'on.mltsd');
    const answer = (await call<Candidates>('on.mltsd', CANDIDATES, { o: offer })).json.data!.relocationCandidates;
    expect(answer.consenting).toEqual({ value: null, suppressed: true });
    expect(answer.willing).toHaveLength(3);
  });

  it("refuses another province's offer, an agency that does not receive, and audits both", async () => {
    const offer = (await call<{ publishRelocationOffer: { id: string } }>('nb.petl', PUBLISH, { input: terms(['33102']) })).json.data!.publishRelocationOffer.id;
    const foreign = await call<Candidates>('on.mltsd', CANDIDATES, { o: offer });
    expect(foreign.json.errors?.[0]).toMatchObject({ message: 'no relocation offer with this id is yours', extensions: { code: 'NOT_FOUND' } });
    expect(await entryOf(foreign)).toMatchObject({ agency: 'on.mltsd', decision: 'DENY', reason: 'NOT_FOUND', subjects: [] });
    const referrer = await call<Candidates>('qc.mifi', CANDIDATES, { o: offer });
    expect(referrer.json.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await entryOf(referrer)).toMatchObject({ decision: 'DENY', reason: 'FORBIDDEN' });
  });
});
