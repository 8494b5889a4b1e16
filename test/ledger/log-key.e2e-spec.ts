/**
 * The ledger is verifiable against the LOG's own key: tree heads are signed by a key only
 * consent-audit holds (not the gateway's response key), published in the gateway's JWKS marked
 * `signs: "tree-head+jwt"`, and the gateway process never has the private half.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compactVerify, createLocalJWKSet, type JWK } from 'jose';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { loadGatewayKeys, sha256b64u, signAsGateway, type GatewayKeys } from '@passerelle/crypto';
import { createTestDatabase, createTestRegistry, runApp, startTrustStack, type TestDatabase, type TestRegistry, type TrustStack } from '@passerelle/testing';
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

  it('`passerelle audit verify` refuses a tree head signed with the gateway key (a hostile gateway vouching for the log)', async () => {
    const keyFile = path.join(stack.secretsDir, 'ops.audit.private.jwk.json');
    fs.writeFileSync(keyFile, JSON.stringify(registry.activeKey('ops.audit').privateJwk), { mode: 0o600 });
    const verify = (gatewayUrl: string) => runApp('cli', ['audit', 'verify', '--gateway', gatewayUrl, '--agency', 'ops.audit', '--key', keyFile, '--gateway-id', registry.document.gatewayId]);
    const honest = await verify(stack.gateway.url);
    expect(honest.stderr).toBe('');
    expect(honest.code).toBe(0);

    // The gateway holds its own key and nothing else: re-signing the head (same claims) and its
    // answer with it is all a hostile gateway can do.
    const hostile = await hostileGateway(stack.gateway.url, await loadGatewayKeys(stack.secretsDir));
    try {
      const refused = await verify(hostile.url);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("the signed tree head does not verify with the audit log's published keys");
      expect(hostile.forgedHeads()).toBeGreaterThanOrEqual(1);
    } finally {
      await hostile.close();
    }
  });
});

/**
 * A gateway in front of the real one that re-signs every tree head it serves with the gateway's
 * key (same claims) and signs its answer again, as a gateway that vouched for the log would.
 */
async function hostileGateway(upstream: string, keys: GatewayKeys): Promise<{ url: string; forgedHeads(): number; close(): Promise<void> }> {
  let forged = 0;
  const server = http.createServer((req, res) => {
    void (async () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host') headers[k] = v;
      const answer = await fetch(`${upstream}${req.url}`, { method: req.method, headers });
      let body = Buffer.from(await answer.arrayBuffer());
      const out: Record<string, string> = {};
      answer.headers.forEach((v, k) => (out[k] = v));
      if (req.url === '/audit/sth' && answer.status === 200) {
        const sth = JSON.parse(body.toString('utf8')) as { tree_size: number; root_hash: string; timestamp: number; jws: string };
        sth.jws = await signAsGateway(keys, 'tree-head+jwt', { tree_size: sth.tree_size, root_hash: sth.root_hash, timestamp: sth.timestamp });
        body = Buffer.from(JSON.stringify(sth));
        const claims = decodeJwt(out['x-gateway-signature']);
        out['x-gateway-signature'] = await signAsGateway(keys, 'gateway-response+jwt', { ...claims, body_sha256: sha256b64u(body) });
        forged++;
      }
      delete out['content-length'];
      delete out['content-encoding'];
      delete out['transfer-encoding'];
      res.writeHead(answer.status, out).end(body);
    })().catch((e) => res.writeHead(502).end(String(e)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, forgedHeads: () => forged, close: () => new Promise((r) => server.close(() => r())) };
}
