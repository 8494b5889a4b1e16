import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, createTestRegistry, freePort, queryAsOwner, runApp, startApp, type RunningApp, type TestDatabase, type TestRegistry } from '@passerelle/testing';
import { startLoad, until } from './helpers';
const { startHaproxy } = require('../../scripts/fleet-proxy.js') as {
  startHaproxy(spec: { gateways: { port: number; servers: Array<{ name: string; port: number }> } }): Promise<{ pid: number; lines: string[]; stop(): Promise<void> }>;
};

/**
 * Gateway failover behind the proxy. Two gateways behind HAProxy (round robin, health-checked),
 * one consent-audit, signed load through the proxy; one gateway is killed with kill -9. The load
 * goes on through the other; every acknowledged answer has its ledger entry, no request is recorded
 * twice, seqs stay dense, and `passerelle audit verify` passes through the proxy.
 */
describe('one gateway of two killed behind the proxy', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let secretsDir: string;
  let env: Record<string, string>;
  let consentAudit: RunningApp | undefined;
  let proxy: Awaited<ReturnType<typeof startHaproxy>> | undefined;
  const gateways: Array<{ name: string; port: number; app?: RunningApp }> = [];
  let proxyPort: number;

  beforeAll(async () => {
    [db, registry, secretsDir] = await Promise.all([createTestDatabase('gatewayfailover'), createTestRegistry(), fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-gwfailover-'))]);
    env = { DATABASE_URL: db.url, KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092', PASSERELLE_REGISTRY: registry.file, PASSERELLE_SECRETS_DIR: secretsDir };
    const auditUrl = `127.0.0.1:${await freePort()}`;
    consentAudit = await startApp('consent-audit', { ...env, CONSENT_AUDIT_URL: auditUrl, CONSENT_AUDIT_METRICS_PORT: String(await freePort()) }, { logLine: /consent-audit listening/, timeoutMs: 30_000 });
    for (const name of ['gw1', 'gw2']) {
      const port = await freePort();
      const app = await startApp('gateway', { ...env, GATEWAY_PORT: String(port), GATEWAY_PROBE_PORT: String(await freePort()), CONSENT_AUDIT_URL: auditUrl, LOG_LEVEL: 'warn' }, { httpUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`, timeoutMs: 30_000 });
      gateways.push({ name, port, app });
    }
    proxyPort = await freePort();
    proxy = await startHaproxy({ gateways: { port: proxyPort, servers: gateways.map((g) => ({ name: g.name, port: g.port })) } });
  }, 90_000);

  afterAll(async () => {
    await proxy?.stop();
    for (const g of gateways) await g.app?.stop();
    await consentAudit?.stop();
    await db?.drop();
    await registry?.cleanup();
    await fs.rm(secretsDir, { recursive: true, force: true });
  });

  it('gateway failover: kill -9 of one gateway under load loses no acknowledged exchange and records none twice', async () => {
    const url = `http://127.0.0.1:${proxyPort}`;
    const mifi = registry.client('qc.mifi', url);
    const esdc = registry.client('ca.esdc', url);
    const load = startLoad({
      workers: 8,
      pick: (i) =>
        i % 2 === 0
          ? { client: esdc, purpose: 'STATISTICS', query: '{ statistics(groupBy: province) { total suppressedCells } }' }
          : { client: mifi, purpose: 'STATISTICS', query: '{ gatewayInfo { contractVersion } }' },
    });
    const acksGrowBy = (n: number) => {
      const target = load.stats.acknowledged + n;
      return until(() => load.stats.acknowledged >= target, 60_000, () => `acknowledged ${load.stats.acknowledged}, waiting for ${target}; refused ${JSON.stringify(Object.fromEntries(load.stats.refused))}`);
    };
    let ackedAtKill: number;
    try {
      await acksGrowBy(100);
      ackedAtKill = load.stats.acknowledged;
      await gateways[0].app!.kill9();
      // the survivor carries the load alone
      await acksGrowBy(200);
    } finally {
      await load.stop();
    }
    const { receipts, stats } = load;
    console.log(`gateway failover: killed at ${ackedAtKill} acks; sent ${stats.sent}, acknowledged ${stats.acknowledged}, refused ${JSON.stringify(Object.fromEntries(stats.refused))}`);
    // HAProxy's own 502/503 page answers a request whose gateway died under it: no answer, no receipt.
    expect(stats.unexpected.filter((u) => !/^50[23] <html><body><h1>50[23]/.test(u)).slice(0, 5)).toEqual([]);

    const rows = await queryAsOwner<{ seq: string; response_sha256: string }>(db.url, `SELECT seq, canonical::jsonb->>'response_sha256' AS response_sha256 FROM ledger_entries WHERE seq = ANY($1::bigint[])`, [receipts.map((r) => r.auditSeq)]);
    const stored = new Map(rows.map((r) => [Number(r.seq), r.response_sha256]));
    expect({ missing: receipts.filter((r) => !stored.has(r.auditSeq)).length, mismatched: receipts.filter((r) => stored.get(r.auditSeq) !== r.bodySha256).length }).toEqual({ missing: 0, mismatched: 0 });
    expect(new Set(receipts.map((r) => r.auditSeq)).size).toBe(receipts.length);
    const [dup] = await queryAsOwner<{ n: string }>(db.url, `SELECT count(*) AS n FROM (SELECT canonical::jsonb->>'jti' AS jti FROM ledger_entries WHERE canonical::jsonb->>'jti' <> '' GROUP BY 1 HAVING count(*) > 1) d`);
    expect(Number(dup.n)).toBe(0);
    const [{ n, max }] = await queryAsOwner<{ n: string; max: string }>(db.url, 'SELECT count(*) AS n, max(seq) AS max FROM ledger_entries');
    expect(Number(max) + 1).toBe(Number(n));
    // Exact counts: one entry per acknowledged request; a request cut by the kill has at most one.
    const [mine] = await queryAsOwner<{ n: string }>(db.url, `SELECT count(*) AS n FROM ledger_entries WHERE canonical::jsonb->>'agency' IN ('qc.mifi','ca.esdc')`);
    expect(Number(mine.n)).toBeGreaterThanOrEqual(stats.acknowledged);
    expect(Number(mine.n)).toBeLessThanOrEqual(stats.sent);

    const covered = async () => Number((await queryAsOwner<{ n: string }>(db.url, 'SELECT coalesce(max(tree_size), 0) AS n FROM ledger_tree_heads'))[0].n);
    await until(async () => (await covered()) >= Number(n), 30_000, async () => `heads cover ${await covered()} of ${n}`);
    const keyFile = path.join(secretsDir, 'ops.audit.private.jwk.json');
    await fs.writeFile(keyFile, JSON.stringify(registry.activeKey('ops.audit').privateJwk), { mode: 0o600 });
    const verify = await runApp('cli', ['audit', 'verify', '--gateway', url, '--agency', 'ops.audit', '--key', keyFile, '--gateway-id', registry.document.gatewayId, '--state', path.join(secretsDir, 'verify-state.json')]);
    expect(verify.stdout).toMatch(/^verified: tree_size \d+/m);
    expect(verify.code).toBe(0);
  });
});
