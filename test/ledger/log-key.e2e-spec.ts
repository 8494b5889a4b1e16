/**
 * The ledger is verifiable against the LOG's own key: tree heads are signed by a key only
 * consent-audit holds (not the gateway's response key), published in the gateway's JWKS marked
 * `signs: "tree-head+jwt"`, and the gateway process never has the private half.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compactVerify, createLocalJWKSet, type JWK } from 'jose';
import { createTestDatabase, createTestRegistry, startTrustStack, type TestDatabase, type TestRegistry, type TrustStack } from '@passerelle/testing';
import { auditEntry, connectLedger } from './ledger-grpc';

jest.setTimeout(90_000);

describe('the audit log signs its tree heads with its own key', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let stack: TrustStack;
  let logKeyDir: string;

  beforeAll(async () => {
    db = await createTestDatabase('logkey');
    registry = await createTestRegistry();
    logKeyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-log-key-'));
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url, consentAuditEnv: { PASSERELLE_LOG_KEY_DIR: logKeyDir } });
    const ledger = connectLedger(stack.consentAudit.url);
    try {
      await Promise.all(Array.from({ length: 5 }, (_, i) => ledger.append(auditEntry({ requestId: `log-key-${i}` }))));
    } finally {
      ledger.close();
    }
  });

  afterAll(async () => {
    await stack?.stop();
    await db?.drop();
    await registry?.cleanup();
    if (logKeyDir) fs.rmSync(logKeyDir, { recursive: true, force: true });
  });

  const gatewayJwks = async () => (await (await fetch(`${stack.gateway.url}/.well-known/jwks.json`)).json()) as { keys: Array<JWK & { signs?: string }> };

  it('the gateway publishes the log key, marked for tree heads and public only, beside its own', async () => {
    const { keys } = await gatewayJwks();
    const logKeys = keys.filter((k) => k.signs === 'tree-head+jwt');
    expect(logKeys).toHaveLength(1);
    expect(Object.keys(logKeys[0]).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'signs', 'use', 'x']);
    expect(keys.filter((k) => k.signs === undefined).length).toBeGreaterThanOrEqual(1);
    expect(keys.every((k) => k.d === undefined)).toBe(true);
  });

  it('a served tree head verifies with the log key and with none of the gateway’s keys', async () => {
    const sth = await registry.client('ops.audit', stack.gateway.url).get<{ tree_size: number; jws: string }>('/audit/sth', 'AUDIT_REVIEW');
    expect(sth.status).toBe(200);
    const { keys } = await gatewayJwks();
    const logKeys = keys.filter((k) => k.signs === 'tree-head+jwt');
    const gatewayKeys = keys.filter((k) => k.signs !== 'tree-head+jwt');
    const { protectedHeader } = await compactVerify(sth.json.jws, createLocalJWKSet({ keys: logKeys }));
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'tree-head+jwt', kid: logKeys[0].kid });
    await expect(compactVerify(sth.json.jws, createLocalJWKSet({ keys: gatewayKeys }))).rejects.toThrow();
  });

  it('only consent-audit holds the log private key: 0600 in its own directory, nowhere the gateway reads', async () => {
    const keyFile = path.join(logKeyDir, 'log-signing.json');
    expect(fs.statSync(logKeyDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const privateD = (JSON.parse(fs.readFileSync(keyFile, 'utf8')) as { privateJwk: JWK }).privateJwk.d!;
    const everyFile = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? everyFile(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    const gatewaySecrets = stack.gateway.secretsDir;
    expect(everyFile(gatewaySecrets).filter((f) => fs.readFileSync(f, 'utf8').includes(privateD))).toEqual([]);
    const gatewayEnv = fs.readFileSync(`/proc/${stack.gateway.app.proc.pid}/environ`, 'utf8');
    expect(gatewayEnv).not.toContain(logKeyDir);
    expect(gatewayEnv).not.toContain('PASSERELLE_LOG_KEY_DIR');
  });
});
