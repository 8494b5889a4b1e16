import { createHash, randomBytes } from 'node:crypto';
import { loadPseudonymKeyring, toAgencyPseudonym, toInternalId, type PseudonymKeyring } from '@passerelle/crypto';
import type { GatewayResponse } from '@passerelle/client';
import type { Agreement } from '@passerelle/registry';
import { createTestDatabase, createTestRegistry, queryAsOwner, startTrustStack, uniqueName, type TestDatabase, type TestRegistry, type TrustStack } from '@passerelle/testing';
import { decodeJwt } from 'jose';

/**
 * Willingness to relocate (issue 16) is the claimant's RELOCATION consent to the receiving
 * province's agency, with the provinces the claimant accepts as `destinations`. No willingness,
 * no referral: even where the registry does not list RELOCATION among the purposes that need
 * consent, referRelocation asks for the willingness first.
 */
const agreement = (id: string, provider: string, consumer: string, purposes: Agreement['purposes'], fields: Agreement['fields']): Agreement => ({
  id, provider, consumer, purposes, fields, validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'test agreement',
});
interface GraphqlBody<T> {
  data: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}
interface Consent { id: string; purpose: string; recipient: string; destinations: string[]; receipt: string }

const RECORD = `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id purpose recipient destinations receipt } }`;
const REVOKE = `mutation($id: String!) { revokeConsent(consentId: $id) { id revokedAt } }`;
const REFER = `mutation($p: String!, $to: String!, $m: ID!) { referRelocation(pseudonym: $p, toAgency: $to, jobMatchId: $m) { id toAgency disclosedFields } }`;

describe('willingness to relocate', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let stack: TrustStack;
  let keyring: PseudonymKeyring;

  const call = <T>(agency: string, query: string, variables: Record<string, unknown>, purpose: string) =>
    registry.client(agency, stack.gateway.url).graphql<GraphqlBody<T>>(query, variables, purpose as 'RELOCATION');
  const entryOf = async (res: GatewayResponse) => (await stack.ledgerEntries()).find((e) => e.seq === res.auditSeq)!;
  const claimant = () => toInternalId(keyring, uniqueName('CLIENT'));
  const consentInput = (subject: string, purpose: string, recipient: string, destinations?: string[]) => ({
    pseudonym: toAgencyPseudonym(keyring, 'qc.mifi', subject),
    purpose,
    recipient,
    validFrom: new Date(Date.now() - 3600_000).toISOString(),
    expiresAt: new Date(Date.now() + 24 * 3600_000).toISOString(),
    evidenceSha256: createHash('sha256').update(randomBytes(16)).digest('base64url'),
    ...(destinations ? { destinations } : {}),
  });
  const willing = async (subject: string, recipient: string, destinations?: string[]) => {
    const res = await call<{ recordConsent: Consent }>('qc.mifi', RECORD, { input: consentInput(subject, 'RELOCATION', recipient, destinations) }, 'CONSENT_MANAGEMENT');
    expect(res.json.errors).toBeUndefined();
    return res.json.data!.recordConsent;
  };
  const matchOf = async (subject: string, province: string) =>
    (await queryAsOwner<{ id: string }>(db.url,
      `INSERT INTO job_matches (publisher, event_id, batch_id, subject, posting_id, title, noc_code, province, city, hourly_wage_cents, language_requirement, score, matched_at)
       VALUES ('ca.esdc', $1, 'b1', $2, $1, 'Patient care aide', '33102', $3, 'Moncton', 2500, 'EN_OR_FR', 0.9, now()) RETURNING id`,
      [uniqueName('event'), subject, province]))[0].id;

  beforeAll(async () => {
    [db, registry] = await Promise.all([
      createTestDatabase('willing'),
      createTestRegistry({
        agencies: [
          { id: 'ca.esdc', roles: ['CONSUMER', 'PUBLISHER'], jurisdiction: 'CA' },
          { id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'QC' },
          { id: 'nb.petl', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'NB' },
          { id: 'on.mltsd', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'ON' },
        ],
        agreements: [
          agreement('dsa-mifi-petl', 'qc.mifi', 'nb.petl', ['RELOCATION'], ['province', 'nocCode']),
          agreement('dsa-mifi-mltsd', 'qc.mifi', 'on.mltsd', ['RELOCATION'], ['province', 'nocCode']),
        ],
        // The registry does not make RELOCATION disclosures depend on consent: the referral still does.
        consentRequiredFor: ['JOB_MATCHING'],
        consentCollectors: [{ agency: 'qc.mifi', purposes: ['JOB_MATCHING', 'RELOCATION'], recipients: ['ca.esdc', 'nb.petl', 'on.mltsd'] }],
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

  it('records the destinations a claimant accepts with the RELOCATION consent, in the signed receipt too', async () => {
    const given = await willing(claimant(), 'nb.petl', ['ON', 'NB']);
    expect(given).toMatchObject({ purpose: 'RELOCATION', recipient: 'nb.petl', destinations: ['NB', 'ON'] });
    expect(decodeJwt(given.receipt)).toMatchObject({ consent_id: given.id, destinations: ['NB', 'ON'] });
    // Without destinations, the recipient's own province.
    expect((await willing(claimant(), 'on.mltsd')).destinations).toEqual(['ON']);
  });

  it.each([
    ['naming another province than the recipient', 'RELOCATION', 'nb.petl', ['ON'], "destinations must name the recipient's own province or territory"],
    ['naming Quebec', 'RELOCATION', 'nb.petl', ['NB', 'QC'], 'destinations must be province or territory codes other than QC'],
    ['on a consent for another purpose', 'JOB_MATCHING', 'ca.esdc', ['NB'], 'destinations are for RELOCATION consents only'],
  ])('refuses a willingness %s, and audits the refusal', async (_name, purpose, recipient, destinations, message) => {
    const res = await call<unknown>('qc.mifi', RECORD, { input: consentInput(claimant(), purpose, recipient, destinations) }, 'CONSENT_MANAGEMENT');
    expect(res.json.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.json.errors?.[0].message).toContain(message);
    expect(await entryOf(res)).toMatchObject({ agency: 'qc.mifi', decision: 'DENY' });
  });

  it('no willingness, no referral: a referral needs a willingness in force naming the receiving province, and the refusal is audited', async () => {
    const subject = claimant();
    const pseudonym = toAgencyPseudonym(keyring, 'qc.mifi', subject);
    const match = await matchOf(subject, 'NB');

    const none = await call<unknown>('qc.mifi', REFER, { p: pseudonym, to: 'nb.petl', m: match }, 'RELOCATION');
    expect(none.json.errors?.[0]).toMatchObject({
      message: 'no willingness of this claimant to relocate to nb.petl is in force (a RELOCATION consent to it naming its province)',
      extensions: { code: 'CONSENT_REQUIRED' },
    });
    expect(await entryOf(none)).toMatchObject({ agency: 'qc.mifi', decision: 'DENY', reason: 'CONSENT_REQUIRED' });

    // A willingness toward Ontario does not carry a referral to New Brunswick.
    await willing(subject, 'on.mltsd');
    const elsewhere = await call<unknown>('qc.mifi', REFER, { p: pseudonym, to: 'nb.petl', m: match }, 'RELOCATION');
    expect(elsewhere.json.errors?.[0].extensions?.code).toBe('CONSENT_REQUIRED');

    const toNb = await willing(subject, 'nb.petl');
    const referred = await call<{ referRelocation: { toAgency: string; disclosedFields: string[] } }>('qc.mifi', REFER, { p: pseudonym, to: 'nb.petl', m: match }, 'RELOCATION');
    expect(referred.json.errors).toBeUndefined();
    expect(referred.json.data!.referRelocation).toMatchObject({ toAgency: 'nb.petl', disclosedFields: ['province', 'nocCode'] });
    expect(await entryOf(referred)).toMatchObject({ decision: 'PERMIT', subjects: [subject] });

    // Another agency's pseudonym of the same claimant is not found.
    const foreign = await call<unknown>('qc.mifi', REFER, { p: toAgencyPseudonym(keyring, 'nb.petl', subject), to: 'nb.petl', m: match }, 'RELOCATION');
    expect(foreign.json.errors?.[0].extensions?.code).toBe('NOT_FOUND');

    // The willingness ends: no further referral.
    await call<unknown>('qc.mifi', REVOKE, { id: toNb.id }, 'CONSENT_MANAGEMENT');
    const match2 = await matchOf(subject, 'NB');
    const after = await call<unknown>('qc.mifi', REFER, { p: pseudonym, to: 'nb.petl', m: match2 }, 'RELOCATION');
    expect(after.json.errors?.[0].extensions?.code).toBe('CONSENT_REQUIRED');
  });
});
