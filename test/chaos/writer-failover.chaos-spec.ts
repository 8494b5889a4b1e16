import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, createTestRegistry, freePort, startApp, type RunningApp, type TestDatabase, type TestRegistry } from '@passerelle/testing';
import { expectLedgerAccountsForLoad, expectOfflineVerification, startLoad, until } from './helpers';
const { startHaproxy } = require('../../scripts/fleet-proxy.js') as {
  startHaproxy(spec: { ledger: { port: number; servers: Array<{ name: string; grpcPort: number; probePort: number }> } }): Promise<{ pid: number; lines: string[]; stop(): Promise<void> }>;
};

/** The stated bound: the standby holds the writer role this soon after the writer is killed. */
const HANDOVER_BOUND_MS = 5_000;

interface Instance {
  name: string;
  grpcPort: number;
  probePort: number;
  app?: RunningApp;
}

/**
 * Writer failover. Two consent-audit instances on one database (one writer, one standby), a gateway
 * reaching the writer through HAProxy (TCP to whichever instance's probe says "ledger":"writer"),
 * signed load. The writer is killed with kill -9: the standby holds the role within the bound,
 * the load goes on, no acknowledged entry is lost or duplicated, seqs stay dense, and the tree
 * heads pass `passerelle audit verify`. Then the new standby is killed: nothing changes.
 */
describe('ledger writer failover', () => {
  let db: TestDatabase;
  let registry: TestRegistry;
  let secretsDir: string;
  let env: Record<string, string>;
  let proxy: Awaited<ReturnType<typeof startHaproxy>> | undefined;
  let gateway: RunningApp | undefined;
  let gatewayPort: number;
  const instances: Instance[] = [];

  const startInstance = async (i: Instance) => {
    i.app = await startApp('consent-audit', { ...env, CONSENT_AUDIT_URL: `127.0.0.1:${i.grpcPort}`, CONSENT_AUDIT_METRICS_PORT: String(i.probePort) }, { logLine: /consent-audit listening/, timeoutMs: 30_000 });
  };
  const roleOf = async (i: Instance): Promise<string> => {
    try {
      const res = await fetch(`http://127.0.0.1:${i.probePort}/health`);
      return ((await res.json()) as { roles?: { ledger?: string } }).roles?.ledger ?? 'none';
    } catch {
      return 'unreachable';
    }
  };
  const writerMetric = async (i: Instance): Promise<string | undefined> => {
    const text = await (await fetch(`http://127.0.0.1:${i.probePort}/metrics`)).text();
    return /^passerelle_ledger_writer(?:\{[^}]*\})? (\d)/m.exec(text)?.[1];
  };

  beforeAll(async () => {
    [db, registry, secretsDir] = await Promise.all([createTestDatabase('writerfailover'), createTestRegistry(), fs.mkdtemp(path.join(os.tmpdir(), 'passerelle-failover-'))]);
    env = { DATABASE_URL: db.url, KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092', PASSERELLE_REGISTRY: registry.file, PASSERELLE_SECRETS_DIR: secretsDir };
    for (const name of ['ca1', 'ca2']) instances.push({ name, grpcPort: await freePort(), probePort: await freePort() });
    // The first creates the log key; the second loads it and waits as standby.
    await startInstance(instances[0]);
    await startInstance(instances[1]);
    const ledgerPort = await freePort();
    proxy = await startHaproxy({ ledger: { port: ledgerPort, servers: instances.map((i) => ({ name: i.name, grpcPort: i.grpcPort, probePort: i.probePort })) } });
    gatewayPort = await freePort();
    gateway = await startApp('gateway', { ...env, GATEWAY_PORT: String(gatewayPort), CONSENT_AUDIT_URL: `127.0.0.1:${ledgerPort}`, LOG_LEVEL: 'warn' }, { httpUrl: `http://127.0.0.1:${gatewayPort}/.well-known/jwks.json`, timeoutMs: 30_000 });
  }, 90_000);

  afterAll(async () => {
    await gateway?.stop();
    await proxy?.stop();
    for (const i of instances) await i.app?.stop();
    await db?.drop();
    await registry?.cleanup();
    await fs.rm(secretsDir, { recursive: true, force: true });
  });

  it('one writer, one standby: the role shows in /health and in the passerelle_ledger_writer gauge', async () => {
    expect(await roleOf(instances[0])).toBe('writer');
    expect(await roleOf(instances[1])).toBe('standby');
    expect(await writerMetric(instances[0])).toBe('1');
    expect(await writerMetric(instances[1])).toBe('0');
  });

  it(`writer failover: kill -9 of the writer hands the role to the standby within ${HANDOVER_BOUND_MS} ms, losing and duplicating nothing; killing the standby changes nothing`, async () => {
    const url = `http://127.0.0.1:${gatewayPort}`;
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
    const [first, second] = instances;
    let handoverMs: number;
    let resumedMs: number;
    let refusedByStandbyKill: number;
    try {
      await acksGrowBy(100);
      // kill -9 the writer under load; the handover is timed from observed events: the kill's
      // completion, then the standby's own /health reporting the role.
      const killedAt = Date.now();
      const acksAtKill = load.stats.acknowledged;
      await first.app!.kill9();
      await until(async () => (await roleOf(second)) === 'writer', 30_000, async () => `the standby reports ${await roleOf(second)}`);
      handoverMs = Date.now() - killedAt;
      // the load resumes through the proxy, now on the new writer
      await until(() => load.stats.acknowledged > acksAtKill + 20, 30_000, () => `acknowledged ${load.stats.acknowledged} since the kill at ${acksAtKill}`);
      resumedMs = Date.now() - killedAt;
      await acksGrowBy(100);
      // the killed one comes back as standby; then the standby is killed: nothing changes
      await startInstance(first);
      await until(async () => (await roleOf(first)) === 'standby', 30_000, async () => `the restarted instance reports ${await roleOf(first)}`);
      await acksGrowBy(50);
      const refusedBefore = [...load.stats.refused.values()].reduce((a, b) => a + b, 0);
      await first.app!.kill9();
      await acksGrowBy(100);
      refusedByStandbyKill = [...load.stats.refused.values()].reduce((a, b) => a + b, 0) - refusedBefore;
      expect(await roleOf(second)).toBe('writer');
    } finally {
      await load.stop();
    }
    const { receipts, stats } = load;
    console.log(`writer failover: handover ${handoverMs} ms, load resumed ${resumedMs} ms after the kill; sent ${stats.sent}, acknowledged ${stats.acknowledged}, refused ${JSON.stringify(Object.fromEntries(stats.refused))}`);
    expect(handoverMs).toBeLessThanOrEqual(HANDOVER_BOUND_MS);
    expect(refusedByStandbyKill).toBe(0);
    expect(stats.unexpected.slice(0, 5)).toEqual([]);

    const size = await expectLedgerAccountsForLoad(db.url, receipts, stats, ['qc.mifi', 'ca.esdc']);
    await expectOfflineVerification({ dbUrl: db.url, size, gatewayUrl: url, registry, secretsDir });
  });
});
