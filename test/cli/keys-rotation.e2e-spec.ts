import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { GATEWAY_SIGNATURE_HEADER, verifyResponse, type GatewayResponse } from '@passerelle/client';
import { createTestDatabase, createTestRegistry, runApp, startTestGateway, startTrustStack, type TestDatabase, type TestGateway, type TestRegistry, type TrustStack } from '@passerelle/testing';

/**
 * `passerelle keys rotate-gateway|retire-gateway|list-gateway|rotate-pseudonyms|reissue-plan`,
 * run as built against the secrets directory of a running gateway and consent-audit.
 */
describe('passerelle keys rotation commands', () => {
  let registry: TestRegistry;
  let db: TestDatabase;
  let stack: TrustStack;
  let gateway: TestGateway;
  let scratch: string;

  beforeAll(async () => {
    [registry, db, scratch] = await Promise.all([createTestRegistry(), createTestDatabase('clikeys'), fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-keys-'))]);
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url });
    gateway = stack.gateway;
  });
  afterAll(async () => {
    if (gateway !== stack?.gateway) await gateway?.stop();
    await stack?.stop();
    await db?.drop();
    await registry?.cleanup();
    await fs.rm(scratch, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => runApp('cli', args);
  const jwks = async (): Promise<JSONWebKeySet> => (await fetch(new URL('/.well-known/jwks.json', gateway.url))).json() as Promise<JSONWebKeySet>;
  const gatewayKids = async () => (await jwks()).keys.filter((k) => (k.kid ?? '').startsWith('gateway-')).map((k) => k.kid);
  const ask = (agency = 'qc.mifi') => registry.client(agency, gateway.url).graphql('{ gatewayInfo { contractVersion } }', undefined, 'STATISTICS');
  const verifyAgainst = (keys: JSONWebKeySet, res: GatewayResponse, agency = 'qc.mifi') =>
    verifyResponse({ jwks: keys, agency, expectedReqJti: res.jti, body: res.body, signatureHeader: res.headers.get(GATEWAY_SIGNATURE_HEADER), gatewayId: registry.document.gatewayId });
  async function restartGateway() {
    await gateway.stop();
    gateway = await startTestGateway({ registryFile: registry.file, databaseUrl: db.url, consentAuditUrl: stack.consentAudit.url, secretsDir: stack.secretsDir });
  }

  it('every new keys command has --help', async () => {
    for (const cmd of ['rotate-gateway', 'retire-gateway', 'list-gateway', 'rotate-pseudonyms', 'reissue-plan']) {
      const r = await cli('keys', cmd, '--help');
      expect({ cmd, code: r.code }).toEqual({ cmd, code: 0 });
      expect(r.stdout).toContain('--secrets');
    }
  });

  it('rotate-gateway: a response signed before the rotation still verifies against the JWKS after it; retire-gateway then withdraws the old key', async () => {
    const before = await ask();
    expect(before.status).toBe(200);
    // A long-lived agency client, which cached the JWKS on its first answer.
    const longLived = registry.client('ca.esdc', gateway.url);
    expect((await longLived.graphql('{ gatewayInfo { contractVersion } }', undefined, 'STATISTICS')).claims).toBeDefined();
    const oldKid = decodeProtectedHeader(before.headers.get(GATEWAY_SIGNATURE_HEADER)!).kid!;
    expect(await gatewayKids()).toEqual([oldKid]);

    const rotate = await cli('keys', 'rotate-gateway', '--secrets', stack.secretsDir);
    expect(rotate.code).toBe(0);
    const newKid = rotate.stdout.trim();
    expect(newKid).toMatch(/^gateway-\d{4}-\d{2}-\d{2}-[0-9a-f]{8}$/);
    expect(rotate.stderr).toContain(`passerelle keys retire-gateway ${oldKid}`);
    expect(rotate.stderr).toContain('restart the gateway and consent-audit');
    // Published at once, without a restart; the old key stays.
    expect((await gatewayKids()).sort()).toEqual([oldKid, newKid].sort());
    await expect(verifyAgainst(await jwks(), before)).resolves.toMatchObject({ aud: 'qc.mifi' });

    await restartGateway();
    const after = await ask();
    // The same client object verifies answers under the new kid (its cached JWKS predates it).
    longLived['opts'].url = gateway.url; // the restarted gateway listens on another port
    expect((await longLived.graphql('{ gatewayInfo { contractVersion } }', undefined, 'STATISTICS')).claims?.aud).toBe('ca.esdc');
    expect(decodeProtectedHeader(after.headers.get(GATEWAY_SIGNATURE_HEADER)!).kid).toBe(newKid);
    expect(await gatewayKids()).toEqual([newKid, oldKid]);
    await expect(verifyAgainst(await jwks(), before)).resolves.toMatchObject({ aud: 'qc.mifi' });
    await expect(verifyAgainst(await jwks(), after)).resolves.toMatchObject({ aud: 'qc.mifi' });

    const retire = await cli('keys', 'retire-gateway', oldKid, '--secrets', stack.secretsDir);
    expect(retire.code).toBe(0);
    expect(await gatewayKids()).toEqual([newKid]);
    await expect(verifyAgainst(await jwks(), before)).rejects.toThrow(/does not verify with the gateway keys/);
    await expect(verifyAgainst(await jwks(), after)).resolves.toMatchObject({ aud: 'qc.mifi' });

    const list = await cli('keys', 'list-gateway', '--secrets', stack.secretsDir);
    expect(list.stdout).toMatch(new RegExp(`^${newKid}\\tactive\\t.*\\n${oldKid}\\tretired\\t`));
  });

  it('refuses to retire the active gateway key or an unknown one, to retire twice, and to rotate where there is no key', async () => {
    const active = (await gatewayKids())[0]!;
    const cases: Array<[string[], RegExp]> = [
      [['retire-gateway', active, '--secrets', stack.secretsDir], new RegExp(`'${active}' is the active gateway key: rotate first`)],
      [['retire-gateway', 'gateway-nope', '--secrets', stack.secretsDir], /no gateway key 'gateway-nope'/],
      [['rotate-gateway', '--secrets', scratch], /no gateway key in .*: is --secrets the apps' PASSERELLE_SECRETS_DIR\?/],
      [['rotate-gateway'], /required option '--secrets <dir>' not specified/],
    ];
    for (const [args, message] of cases) {
      const r = await cli('keys', ...args);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toMatch(message);
    }
    const retired = (await cli('keys', 'list-gateway', '--secrets', stack.secretsDir)).stdout.split('\n').find((l) => l.includes('\tretired\t'))!.split('\t')[0];
    expect((await cli('keys', 'retire-gateway', retired, '--secrets', stack.secretsDir)).stderr).toContain('is already retired');
    expect(await gatewayKids()).toEqual([active]);
  });

  it('rotate-pseudonyms: new answers carry the new version, and the re-issue plan counts per agency what each holds under the old one, naming no claimant', async () => {
    const submit = async (agency: string, ids: string[]) => {
      const res = await registry
        .client(agency, gateway.url)
        .graphql<{ data: { submitClaimants: { accepted: Array<{ pseudonym: string }> } } }>(
          'mutation($r: [ClaimantInput!]!) { submitClaimants(records: $r) { accepted { pseudonym } rejected { index reason } } }',
          { r: ids.map((clientId) => ({ clientId, claimStatus: 'PENDING', province: 'QC' })) },
          'PROVISION',
        );
      if (!res.json?.data) throw new Error(res.body);
      return res.json.data.submitClaimants.accepted.map((a) => a.pseudonym);
    };
    const before = await submit('ca.ircc', ['ROT-A-1', 'ROT-A-2', 'ROT-A-3']);
    await submit('qc.mifi', ['ROT-B-1', 'ROT-B-2']);
    expect(before.every((p) => p.startsWith('p1_'))).toBe(true);

    const keyring = path.join(stack.secretsDir, 'pseudonym-keys.json');
    const rotate = await cli('keys', 'rotate-pseudonyms', '--secrets', stack.secretsDir, '--database-url', db.url);
    expect(rotate.code).toBe(0);
    expect(rotate.stdout).toContain('new pseudonym key version 2 (older versions kept: 1)');
    expect(rotate.stdout).toContain('ca.ircc: 3 under p1_; 3 not handed again since (to re-issue)');
    expect(rotate.stdout).toContain('qc.mifi: 2 under p1_; 2 not handed again since (to re-issue)');
    expect(rotate.stderr).toContain('restart the job-match consumer, then the gateway');
    expect(`${rotate.stdout}${rotate.stderr}`).not.toMatch(/\b[ip]\d*_[A-Za-z0-9_-]{20,}/);
    expect((await fs.stat(keyring)).mode & 0o777).toBe(0o600);

    await restartGateway();
    const again = await submit('ca.ircc', ['ROT-A-1']);
    expect(again[0]).toMatch(/^p2_/);
    const plan = await cli('keys', 'reissue-plan', '--secrets', stack.secretsDir, '--database-url', db.url);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('answers now carry p2_');
    expect(plan.stdout).toContain('ca.ircc: 3 under p1_; 2 not handed again since (to re-issue)');
  });

  it('rotate-pseudonyms refuses without a readable ledger or keyring, and then adds no version', async () => {
    const keyring = path.join(stack.secretsDir, 'pseudonym-keys.json');
    const versions = async () => (JSON.parse(await fs.readFile(keyring, 'utf8')) as { versions: unknown[] }).versions.length;
    const count = await versions();
    const noLedger = new URL(db.url);
    noLedger.pathname = '/no_such_database_for_keys';
    const cases: Array<[string[], RegExp]> = [
      [['rotate-pseudonyms', '--secrets', stack.secretsDir], /the re-issue plan reads the ledger: give --database-url \(or DATABASE_URL\), or --no-plan/],
      [['rotate-pseudonyms', '--secrets', stack.secretsDir, '--database-url', noLedger.toString()], /--database-url: cannot read the ledger: 3D000/],
      [['rotate-pseudonyms', '--secrets', scratch, '--no-plan'], /no pseudonym-keys\.json in .*: is --secrets the apps' PASSERELLE_SECRETS_DIR\?/],
    ];
    for (const [args, message] of cases) {
      const r = await cli('keys', ...args);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toMatch(message);
    }
    expect(await versions()).toBe(count);
    await fs.chmod(keyring, 0o644);
    const open = await cli('keys', 'rotate-pseudonyms', '--secrets', stack.secretsDir, '--no-plan');
    expect(open.code).toBe(1);
    expect(open.stderr).toMatch(/pseudonym-keys\.json has mode 0644.*must be 0600/);
    await fs.chmod(keyring, 0o600);
    expect(await versions()).toBe(count);
    const noPlan = await cli('keys', 'rotate-pseudonyms', '--secrets', stack.secretsDir, '--no-plan');
    expect(noPlan.code).toBe(0);
    expect(await versions()).toBe(count + 1);
  });
});
