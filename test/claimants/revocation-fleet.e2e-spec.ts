/**
 * The gateway decides consent itself, in the SQL that reads the records (issue 15): nothing is
 * cached, so a revocation binds the very next request in EVERY gateway instance. Two gateway
 * processes on one database; the consent is revoked at consent-audit; the next read through
 * each gateway, single or listed, no longer discloses, and is audited as a denial. While the
 * consent is in force, the PERMIT entry names the consent it relied on.
 */
import { randomBytes } from 'node:crypto';
import { fromAgencyPseudonym, toAgencyPseudonym } from '@passerelle/crypto';
import { startTestGateway, type TestGateway } from '@passerelle/testing';
import { createClaimantsWorld, grantConsent, ledgerEntryOf, type ClaimantsWorld, type GraphqlBody } from './harness';

jest.setTimeout(180_000);

const CLAIMANT = 'query One($p: String!) { claimant(pseudonym: $p) { pseudonym province claimStatus withheld { field reason } } }';
const CLAIMANTS = 'query Many($filter: ClaimantFilterInput) { claimants(filter: $filter, first: 5) { nodes { pseudonym province } pageInfo { hasNextPage } } }';
const SUBMIT = 'mutation S($records: [ClaimantInput!]!) { submitClaimants(records: $records) { accepted { index pseudonym } rejected { index reason } } }';

describe('a revocation binds the very next request in every gateway instance', () => {
  let world: ClaimantsWorld;
  let second: TestGateway;

  beforeAll(async () => {
    world = await createClaimantsWorld();
    second = await startTestGateway({ registryFile: world.registry.file, databaseUrl: world.db.url, consentAuditUrl: world.consentAuditUrl, secretsDir: world.secretsDir });
  });
  afterAll(async () => {
    await second?.stop();
    await world?.stop();
  });

  it('refuses on both gateways at once after the revocation, single reads and listings alike', async () => {
    const clientId = `MARK${randomBytes(6).toString('hex').toUpperCase()}`;
    const submitted = await world.client('ca.ircc').graphql<GraphqlBody<{ submitClaimants: { accepted: Array<{ pseudonym: string }> } }>>(SUBMIT, { records: [{ clientId, claimStatus: 'APPEAL_PENDING', claimDate: '2020-05-01', province: 'MB', workPermitExpiry: '2027-03-31' }] }, 'PROVISION');
    const subject = fromAgencyPseudonym(world.keyring, 'ca.ircc', submitted.json.data!.submitClaimants.accepted[0].pseudonym)!;
    const pseudonym = toAgencyPseudonym(world.keyring, 'on.mltsd', subject);
    const gateways = [world.gateway.url, second.url];
    const read = (url: string) => world.registry.client('on.mltsd', url).graphql<GraphqlBody<{ claimant: { province: string | null } }>>(CLAIMANT, { p: pseudonym }, 'RELOCATION');
    const list = (url: string) => world.registry.client('on.mltsd', url).graphql<GraphqlBody<{ claimants: { nodes: Array<{ pseudonym: string }> } }>>(CLAIMANTS, { filter: { province: 'MB' } }, 'RELOCATION');

    for (const url of gateways) expect((await read(url)).json.errors?.[0].extensions?.code).toBe('CONSENT_REQUIRED');
    const granted = await grantConsent(world, subject, 'RELOCATION', 'on.mltsd');
    for (const url of gateways) {
      const res = await read(url);
      expect(res.json.data?.claimant.province).toBe('MB');
      const entry = (await ledgerEntryOf(world, res)) as unknown as { decision: string; subjects: string[]; consents?: string[] };
      expect(entry).toMatchObject({ decision: 'PERMIT', subjects: [subject] });
      expect(entry.consents).toEqual([granted.id]);
      expect((await list(url)).json.data?.claimants.nodes.map((n) => n.pseudonym)).toContain(pseudonym);
    }

    await world.consents.revoke({ consentId: granted.id, revokedBy: 'qc.mifi' });
    // the very next request, on each instance: no grace period, no cache
    for (const url of [second.url, world.gateway.url]) {
      const res = await read(url);
      expect(res.json.errors?.[0].extensions?.code).toBe('CONSENT_REQUIRED');
      expect(await ledgerEntryOf(world, res)).toMatchObject({ decision: 'DENY', subjects: [subject] });
      expect((await list(url)).json.data?.claimants.nodes.map((n) => n.pseudonym)).not.toContain(pseudonym);
    }
  });
});
