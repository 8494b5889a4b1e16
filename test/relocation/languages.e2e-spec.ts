import { createHash, randomBytes } from 'node:crypto';
import { loadPseudonymKeyring, toAgencyPseudonym, toInternalId, type PseudonymKeyring } from '@passerelle/crypto';
import type { Agreement } from '@passerelle/registry';
import { createTestDatabase, createTestRegistry, startTrustStack, uniqueName, type TestDatabase, type TestRegistry, type TrustStack } from '@passerelle/testing';

/**
 * English level (CLB 1–12) beside French (NCLC 1–12) on claimant records (issue 16): supplied by
 * the agency that tests it, disclosed only to agencies whose agreement lists englishLevel, under
 * the claimant's consent like any other field.
 */
const agreement = (id: string, provider: string, consumer: string, fields: Agreement['fields']): Agreement => ({
  id, provider, consumer, purposes: ['RELOCATION'], fields, validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'test agreement',
});
interface GraphqlBody<T> {
  data: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}
type Submitted = { submitClaimants: { accepted: Array<{ index: number; pseudonym: string }>; rejected: Array<{ index: number; reason: string }> } };
type Seen = { claimant: { frenchLevel: number | null; englishLevel: number | null; withheld: Array<{ field: string; reason: string }> } };

const SUBMIT = `mutation($records: [ClaimantInput!]!) { submitClaimants(records: $records) { accepted { index pseudonym } rejected { index reason } } }`;
const CLAIMANT = `query($p: String!) { claimant(pseudonym: $p) { frenchLevel englishLevel withheld { field reason } } }`;
const CLAIMANTS = `query($f: ClaimantFilterInput) { claimants(filter: $f) { nodes { pseudonym englishLevel } } }`;
const RECORD = `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`;

describe('english and french levels', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let stack: TrustStack;
  let keyring: PseudonymKeyring;
  const call = <T>(agency: string, query: string, variables: Record<string, unknown>, purpose: string) =>
    registry.client(agency, stack.gateway.url).graphql<GraphqlBody<T>>(query, variables, purpose as 'RELOCATION');

  beforeAll(async () => {
    [db, registry] = await Promise.all([
      createTestDatabase('languages'),
      createTestRegistry({
        agencies: [
          { id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'QC' },
          { id: 'nb.petl', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'NB' },
          { id: 'on.mltsd', roles: ['CONSUMER', 'RECEIVER'], jurisdiction: 'ON' },
        ],
        agreements: [agreement('dsa-mifi-petl', 'qc.mifi', 'nb.petl', ['frenchLevel', 'englishLevel']), agreement('dsa-mifi-mltsd', 'qc.mifi', 'on.mltsd', ['frenchLevel'])],
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

  it('a provider supplies CLB beside NCLC; the receiving province sees both only when its agreement lists them, under consent', async () => {
    const clientId = uniqueName('CLIENT');
    const submitted = await call<Submitted>('qc.mifi', SUBMIT, { records: [{ clientId, frenchLevel: 4, englishLevel: 7 }, { clientId: uniqueName('CLIENT'), englishLevel: 13 }] }, 'PROVISION');
    expect(submitted.json.data!.submitClaimants.rejected).toEqual([{ index: 1, reason: 'englishLevel must be a whole CLB level from 1 to 12' }]);
    const subject = toInternalId(keyring, clientId);
    for (const recipient of ['nb.petl', 'on.mltsd']) {
      const consent = await call<unknown>('qc.mifi', RECORD, {
        input: {
          pseudonym: submitted.json.data!.submitClaimants.accepted[0].pseudonym, purpose: 'RELOCATION', recipient,
          validFrom: new Date(Date.now() - 3600_000).toISOString(), expiresAt: new Date(Date.now() + 3600_000).toISOString(),
          evidenceSha256: createHash('sha256').update(randomBytes(8)).digest('base64url'),
        },
      }, 'CONSENT_MANAGEMENT');
      expect(consent.json.errors).toBeUndefined();
    }
    const nb = await call<Seen>('nb.petl', CLAIMANT, { p: toAgencyPseudonym(keyring, 'nb.petl', subject) }, 'RELOCATION');
    expect(nb.json.data!.claimant).toMatchObject({ frenchLevel: 4, englishLevel: 7 });
    expect(nb.json.data!.claimant.withheld.map((w) => w.field)).not.toContain('englishLevel');
    const on = await call<Seen>('on.mltsd', CLAIMANT, { p: toAgencyPseudonym(keyring, 'on.mltsd', subject) }, 'RELOCATION');
    expect(on.json.data!.claimant).toMatchObject({ frenchLevel: 4, englishLevel: null });
    expect(on.json.data!.claimant.withheld).toContainEqual({ field: 'englishLevel', reason: 'field_not_covered' });

    // Filtering on the English level tests only what the caller may see.
    const atLeast = async (agency: string, level: number) =>
      (await call<{ claimants: { nodes: Array<{ pseudonym: string }> } }>(agency, CLAIMANTS, { f: { englishLevelAtLeast: level } }, 'RELOCATION')).json.data!.claimants.nodes.map((n) => n.pseudonym);
    expect(await atLeast('nb.petl', 7)).toEqual([toAgencyPseudonym(keyring, 'nb.petl', subject)]);
    expect(await atLeast('nb.petl', 8)).toEqual([]);
    const uncovered = await call<unknown>('on.mltsd', CLAIMANTS, { f: { englishLevelAtLeast: 1 } }, 'RELOCATION');
    expect(uncovered.json.errors?.[0]).toMatchObject({ message: 'cannot filter on englishLevel: no agreement in force gives on.mltsd englishLevel for RELOCATION', extensions: { code: 'NO_AGREEMENT' } });
    const bad = await call<unknown>('nb.petl', CLAIMANTS, { f: { englishLevelAtLeast: 0 } }, 'RELOCATION');
    expect(bad.json.errors?.[0]).toMatchObject({ message: 'filter.englishLevelAtLeast must be a whole CLB level from 1 to 12', extensions: { code: 'BAD_USER_INPUT' } });
  });
});
