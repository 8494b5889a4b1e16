import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestRegistry, freePort, startFakeLedger, startTestGateway, type FakeLedger, type TestGateway, type TestRegistry } from '@passerelle/testing';
import { sleep } from './helpers';

interface Postgres {
  url: string;
  stop(): Promise<void>;
}

/** Starts (or restarts, same data) this test's own embedded PostgreSQL on `port`, in a child process. */
function startPostgres(port: number): Promise<Postgres> {
  const child = spawn(process.execPath, [path.join(__dirname, 'embedded-postgres-child.js'), String(port)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`embedded postgres not ready in 60 s: ${err.slice(-500)}`))), 60_000);
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`embedded postgres exited (${code}): ${err.slice(-500)}`))));
    child.stdout!.on('data', (c: Buffer) => {
      const m = /ready (\S+)/.exec(c.toString());
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: m[1],
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}

const OUTAGE_MS = 8000;
const MAX_FAIL_MS = 3000;
const RESUME_WITHIN_MS = 5000;

/**
 * PostgreSQL restarted under load, on an embedded server of this test's own (never the shared
 * one): while it is down every request fails fast with a clear 503 (no hang, no 500, no
 * internals), and the gateway serves again by itself within 5 s of the database being back.
 */
describe('PostgreSQL restart under load', () => {
  let pg: Postgres | undefined;
  let port: number;
  let ledger: FakeLedger;
  let registry: TestRegistry;
  let gw: TestGateway;

  beforeAll(async () => {
    port = await freePort();
    ledger = await startFakeLedger();
    registry = await createTestRegistry({ agencies: [{ id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'QC' }] });
    pg = await startPostgres(port);
    // This test's own server, unmigrated: the gateway migrates it as the owner (development mode).
    gw = await startTestGateway({ registryFile: registry.file, databaseUrl: pg!.url, consentAuditUrl: ledger.url, env: { LOG_LEVEL: 'warn', PASSERELLE_ALLOW_OWNER_LOGIN: '1' } });
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    await ledger?.stop();
    await pg?.stop();
    await registry?.cleanup();
    fs.rmSync(path.join(os.tmpdir(), `passerelle-pg-${port}`), { recursive: true, force: true });
  });

  it(`fails fast with 503 while the database is down for ${OUTAGE_MS / 1000} s and resumes within ${RESUME_WITHIN_MS / 1000} s of it being back`, async () => {
    const client = registry.client('qc.mifi', gw.url);
    const log: Array<{ t: number; ms: number; status: number; code: string }> = [];
    let running = true;
    const queries = [
      { q: '{ gatewayInfo { contractVersion } }', p: 'STATISTICS' as const },
      { q: '{ statistics(groupBy: province) { total } }', p: 'STATISTICS' as const },
      { q: 'mutation { submitClaimants(records: [{clientId: "PG-RESTART", province: "QC"}]) { accepted { index } } }', p: 'PROVISION' as const },
    ];
    const worker = async (w: number) => {
      for (let i = w; running; i += 6) {
        const { q, p } = queries[i % queries.length];
        const t0 = Date.now();
        let status = 0;
        let code = 'ok';
        try {
          const res = await client.graphql<{ error?: { code: string }; errors?: Array<{ extensions?: { code?: string } }> }>(q, undefined, p);
          status = res.status;
          code = res.json?.error?.code ?? res.json?.errors?.[0]?.extensions?.code ?? 'ok';
        } catch (e) {
          code = `no_answer:${(e as Error).message}`;
        }
        log.push({ t: t0, ms: Date.now() - t0, status, code });
        await sleep(10);
      }
    };
    const workers = Promise.all(Array.from({ length: 6 }, (_, w) => worker(w)));
    await sleep(2000);
    const downAt = Date.now();
    await pg!.stop();
    await sleep(OUTAGE_MS);
    pg = await startPostgres(port);
    const backAt = Date.now();
    await sleep(RESUME_WITHIN_MS + 2000);
    running = false;
    await workers;

    // an answer from the service (business refusals such as NO_AGREEMENT included) versus an outage
    const served = (r: (typeof log)[number]) => r.status === 200 && r.code !== 'UNAVAILABLE' && r.code !== 'INTERNAL';
    const during = log.filter((r) => r.t >= downAt && r.t < backAt);
    const failures = log.filter((r) => !served(r));
    const firstOkAfter = log.filter((r) => r.t >= backAt && served(r)).sort((a, b) => a.t - b.t)[0];
    const slowest = Math.max(...during.map((r) => r.ms));
    const byCode = failures.reduce<Record<string, number>>((acc, r) => ((acc[`${r.status} ${r.code}`] = (acc[`${r.status} ${r.code}`] ?? 0) + 1), acc), {});
    console.log(`postgres down ${OUTAGE_MS} ms: ${log.length} requests, ${during.length} during the outage, refusals ${JSON.stringify(byCode)}, slowest during ${slowest} ms, first success ${firstOkAfter ? firstOkAfter.t + firstOkAfter.ms - backAt : 'never'} ms after the database was back`);

    const internal = gw.app.lines.filter((l) => l.includes('graphql internal error'));
    if (internal.length) console.log(`gateway internal errors during the restart:\n${internal.slice(-3).join('\n')}`);
    expect(during.length).toBeGreaterThan(20);
    // fail fast and clearly: only 503 with a contract code, never a 500, never a hang
    expect(failures.filter((r) => !(r.status === 503 && /^(unavailable|audit_unavailable)$/.test(r.code)) && !(r.status === 200 && r.code === 'UNAVAILABLE')).slice(0, 5)).toEqual([]);
    expect(slowest).toBeLessThan(MAX_FAIL_MS);
    // resume by itself
    expect(firstOkAfter).toBeDefined();
    expect(firstOkAfter!.t + firstOkAfter!.ms - backAt).toBeLessThan(RESUME_WITHIN_MS);
    expect(log.filter((r) => r.t >= backAt + RESUME_WITHIN_MS).every(served)).toBe(true);
    expect(gw.app.proc.exitCode).toBeNull();
  });
});
