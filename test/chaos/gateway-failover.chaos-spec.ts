import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, createTestRegistry, freePort, startApp, type RunningApp, type TestDatabase, type TestRegistry } from '@passerelle/testing';
import { expectLedgerAccountsForLoad, expectOfflineVerification, startLoad, until } from './helpers';
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

    const size = await expectLedgerAccountsForLoad(db.url, receipts, stats, ['qc.mifi', 'ca.esdc']);
    await expectOfflineVerification({ dbUrl: db.url, size, gatewayUrl: url, registry, secretsDir });
  });
});
