import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestRegistry, freePort, startTrustStack, type TestGateway, type TestRegistry, type TrustStack } from '@passerelle/testing';
import { sleep, until } from './helpers';

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

/** the database stays down at least this long, so pooled connections really die */
const MIN_OUTAGE_MS = 3000;
/** answers observed in each phase before moving on (progress, not time, ends a phase) */
const WARM_ANSWERS = 20;
const OUTAGE_ANSWERS = 30;
const AFTER_ANSWERS = 30;
const WORKERS = 6;
/**
 * No hang, shown by order rather than a clock: the database stays down until every load worker has
 * had this many requests sent during the outage answered, so none of them hung; and every request
 * sent during the outage was answered before the database came back, except the one per worker in
 * flight at that moment. How fast they fail and resume is measured and printed
 * (docs/reliability.md), not asserted: a busy CI box makes them slower, not wrong.
 */
const OUTAGE_ANSWERS_PER_WORKER = 2;

/**
 * PostgreSQL restarted under load, on an embedded server of this test's own (never the shared
 * one), under both the gateway and the real consent-audit (whose ledger lives in it): while it is
 * down every request fails with a clear 503 (no hang, no 500, no internals), and both serve
 * again by themselves once the database is back: after the first served answer, every later
 * request is served. Each phase lasts until enough answers were observed in it, however fast or
 * slow this machine is.
 */
describe('PostgreSQL restart under load', () => {
  let pg: Postgres | undefined;
  let port: number;
  let stack: TrustStack;
  let registry: TestRegistry;
  let gw: TestGateway;

  beforeAll(async () => {
    port = await freePort();
    registry = await createTestRegistry({ agencies: [{ id: 'qc.mifi', roles: ['PROVIDER', 'CONSUMER'], jurisdiction: 'QC' }] });
    pg = await startPostgres(port);
    // This test's own server, unmigrated: the apps migrate it as the owner (development mode).
    const ownerLogin = { PASSERELLE_ALLOW_OWNER_LOGIN: '1' };
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: pg!.url, gatewayEnv: { LOG_LEVEL: 'warn', ...ownerLogin }, consentAuditEnv: ownerLogin });
    gw = stack.gateway;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await pg?.stop();
    await registry?.cleanup();
    fs.rmSync(path.join(os.tmpdir(), `passerelle-pg-${port}`), { recursive: true, force: true });
  });

  it('fails with 503, never hanging, while the database is down, and resumes by itself once it is back', async () => {
    const client = registry.client('qc.mifi', gw.url);
    const log: Array<{ w: number; t: number; ms: number; status: number; code: string }> = [];
    let running = true;
    const queries = [
      { q: '{ gatewayInfo { contractVersion } }', p: 'STATISTICS' as const },
      { q: '{ statistics(groupBy: province) { total } }', p: 'STATISTICS' as const },
      { q: 'mutation { submitClaimants(records: [{clientId: "PG-RESTART", province: "QC"}]) { accepted { index } } }', p: 'PROVISION' as const },
    ];
    const worker = async (w: number) => {
      for (let i = w; running; i += WORKERS) {
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
        log.push({ w, t: t0, ms: Date.now() - t0, status, code });
        await sleep(10);
      }
    };
    const workers = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    const answered = (from: number, to = Infinity) => log.filter((r) => r.t >= from && r.t < to).length;
    const describe = () => `${log.length} answers so far; last: ${JSON.stringify(log.slice(-3))}`;
    await until(() => answered(0) >= WARM_ANSWERS, 60_000, describe);
    const downAt = Date.now();
    await pg!.stop();
    // down until the minimum has passed and enough requests sent during the outage were answered,
    // by every worker (one whose request hung would never get there)
    const answeredBy = (w: number, from: number) => log.filter((r) => r.w === w && r.t >= from).length;
    const everyWorkerAnswered = () => Array.from({ length: WORKERS }, (_, w) => answeredBy(w, downAt)).every((n) => n >= OUTAGE_ANSWERS_PER_WORKER);
    await until(() => Date.now() - downAt >= MIN_OUTAGE_MS && answered(downAt) >= OUTAGE_ANSWERS && everyWorkerAnswered(), 120_000, () => `${describe()}; per worker during the outage ${JSON.stringify(Array.from({ length: WORKERS }, (_, w) => answeredBy(w, downAt)))}`);
    pg = await startPostgres(port);
    const backAt = Date.now();
    // resumed: a request sent after the restart was served; then enough answers to requests sent
    // after that one was answered (all of which must be served)
    const servedAfter = (from: number) => log.filter((r) => r.t >= from && r.status === 200 && r.code !== 'UNAVAILABLE' && r.code !== 'INTERNAL').sort((a, b) => a.t + a.ms - (b.t + b.ms))[0];
    await until(() => servedAfter(backAt) !== undefined, 120_000, describe);
    const resumedAt = servedAfter(backAt)!.t + servedAfter(backAt)!.ms;
    await until(() => answered(resumedAt) >= AFTER_ANSWERS, 120_000, describe);
    running = false;
    await workers;
    const outageMs = backAt - downAt;

    // an answer from the service (business refusals such as NO_AGREEMENT included) versus an outage
    const served = (r: (typeof log)[number]) => r.status === 200 && r.code !== 'UNAVAILABLE' && r.code !== 'INTERNAL';
    const during = log.filter((r) => r.t >= downAt && r.t < backAt);
    const failures = log.filter((r) => !served(r));
    const firstOkAfter = log.filter((r) => r.t >= backAt && served(r)).sort((a, b) => a.t - b.t)[0];
    const slowest = Math.max(...during.map((r) => r.ms));
    const byCode = failures.reduce<Record<string, number>>((acc, r) => ((acc[`${r.status} ${r.code}`] = (acc[`${r.status} ${r.code}`] ?? 0) + 1), acc), {});
    console.log(`postgres down ${outageMs} ms: ${log.length} requests, ${during.length} during the outage, refusals ${JSON.stringify(byCode)}, slowest during ${slowest} ms, first success ${firstOkAfter ? firstOkAfter.t + firstOkAfter.ms - backAt : 'never'} ms after the database was back`);

    const internal = gw.app.lines.filter((l) => l.includes('graphql internal error'));
    if (internal.length) console.log(`gateway internal errors during the restart:\n${internal.slice(-3).join('\n')}`);
    expect(during.length).toBeGreaterThanOrEqual(OUTAGE_ANSWERS);
    // fail fast and clearly: only 503 with a contract code, never a 500, never a hang
    expect(failures.filter((r) => !(r.status === 503 && /^(unavailable|audit_unavailable)$/.test(r.code)) && !(r.status === 200 && r.code === 'UNAVAILABLE')).slice(0, 5)).toEqual([]);
    // never hanging: answered while the database was still down, but for one in flight per worker
    expect(during.filter((r) => r.t + r.ms >= backAt).length).toBeLessThanOrEqual(WORKERS);
    // resumed by itself, and stayed resumed: every request sent once the first one was served
    expect(firstOkAfter).toBeDefined();
    expect(log.filter((r) => r.t >= resumedAt && !served(r)).slice(0, 5)).toEqual([]);
    expect(gw.app.proc.exitCode).toBeNull();
    expect(stack.consentAudit.app.proc.exitCode).toBeNull();
    // and the ledger came through whole: no gap in its sequence
    const rows = await stack.ledgerEntries();
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i));
  });
});
