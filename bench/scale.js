#!/usr/bin/env node
/**
 * Scale curve of the filtered `claimants` query (issue 9, benchmark 4). Prints one JSON object.
 *
 *   npm run build && DATABASE_URL=postgres://root@127.0.0.1:5432/test KAFKA_BROKERS=127.0.0.1:9092 node bench/scale.js [--sizes 10000,100000,1000000]
 *   (BENCH_SMOKE=1: 10^4 only, 20 queries)
 *
 * For each table size: the built consent-audit and gateway (NODE_ENV=production, full trust:
 * signature, replay, Decide over gRPC, ledger commit, response signature) over a database whose
 * claimant_records hold that many claimants of provider qc.msss; consumer ca.esdc reads them for
 * PROGRAM_ELIGIBILITY (no consent needed; Decide is still asked for every field of the page).
 * A signed `claimants(filter, first: 100)` query, one at a time, filters rotating over 4
 * shapes; p50/p99 per size.
 *
 * Rows are NOT loaded through GraphQL (10^6 submissions would take minutes): they are generated
 * in SQL with generate_series straight into claimant_records, each subject a valid internal id
 * ('i_' + 22 base64url characters of a SHA-256), values spread deterministically. 10^4 and 10^5
 * share one scratch database (grown between the two measurements, dropped at the end); 10^6 is
 * generated ONCE into bench_cache_scale_1000000, reused by the later runs of the same
 * `npm run bench`, which drops bench_cache_* databases when it ends.
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { installTs, ROOT } = require('./lib/ts');

installTs();
const { createTestRegistry, freePort, queryAsOwner, withTestTls } = require('@passerelle/testing');
const { GatewayClient } = require('@passerelle/client');
const { Client } = require('pg');

const SMOKE = process.env.BENCH_SMOKE === '1';
const argStr = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const SIZES = argStr('sizes', SMOKE ? '10000' : '10000,100000,1000000').split(',').map(Number);
const SAMPLES = SMOKE ? 20 : 100;
const MAX_SECONDS = SMOKE ? 10 : 12;
const ADMIN_URL = process.env.DATABASE_URL || 'postgres://root@127.0.0.1:5432/test';
const PROVIDER = 'qc.msss';
const CONSUMER = 'ca.esdc';
const PURPOSE = 'PROGRAM_ELIGIBILITY';
const PAGE = 'query P($f: ClaimantFilterInput) { claimants(filter: $f, first: 100) { nodes { pseudonym sector healthCareHours nocCode province frenchLevel } pageInfo { hasNextPage endCursor } } }';
const FILTERS = [
  { sector: 'HEALTH_CARE', healthCareHoursAtLeast: 1000 },
  { nocCode: ['33102', '64410'], frenchLevelAtLeast: 7 },
  { province: 'QC', sector: 'SECURITY' },
  { healthCareHoursAtLeast: 2400 },
];
const STATUSES = ['PENDING', 'ACCEPTED', 'REJECTED', 'APPEAL_PENDING', 'WITHDRAWN'];
const PROVINCES = ['QC', 'QC', 'QC', 'ON', 'ON', 'BC', 'AB', 'MB', 'NS', 'NB'];
const NOCS = ['33102', '64410', '65201', '65310', '13110', '31301', '32101', '44101', '75110', '94141'];
const SECTORS = ['HEALTH_CARE', 'HEALTH_CARE', 'SOCIAL_ASSISTANCE', 'FOOD_SERVICES', 'SECURITY', 'CLEANING_MAINTENANCE', 'ADMINISTRATION', 'CONSTRUCTION', 'MANUFACTURING', 'OTHER'];
const arr = (a) => `ARRAY[${a.map((x) => `'${x}'`).join(',')}]`;
const log = (m) => process.stderr.write(`bench scale: ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Claimants g = from+1 … to of provider qc.msss, straight into claimant_records. */
async function generate(url, from, to) {
  const t0 = performance.now();
  await queryAsOwner(
    url,
    `INSERT INTO claimant_records (subject, provider, claim_status, province, work_permit_expiry, noc_code, sector,
                                   health_care_hours, hours_period_start, hours_period_end, french_level, version, supplied_at, supplied_by_kid)
     SELECT 'i_' || translate(substr(encode(sha256(('scale-' || g)::bytea), 'base64'), 1, 22), '+/', '-_'), '${PROVIDER}',
            (${arr(STATUSES)})[1 + g % 5], (${arr(PROVINCES)})[1 + (g * 7) % ${PROVINCES.length}],
            date '2026-01-01' + (g % 1500), (${arr(NOCS)})[1 + (g * 3) % ${NOCS.length}], (${arr(SECTORS)})[1 + (g * 11) % ${SECTORS.length}],
            CASE WHEN g % 5 = 0 THEN NULL ELSE (g * 13) % 2500 END,
            CASE WHEN g % 5 = 0 THEN NULL ELSE date '2020-03-20' END,
            CASE WHEN g % 5 = 0 THEN NULL ELSE date '2020-08-01' END,
            CASE WHEN g % 10 = 0 THEN NULL ELSE 1 + g % 12 END,
            1, now() - interval '1 day', 'bench'
     FROM generate_series($1::int + 1, $2::int) AS g`,
    [from, to],
  );
  // What autovacuum does shortly after a bulk load (the bench would query before it gets there, and
  // this machine's system PostgreSQL has it off): set the visibility map, without which the
  // listing's walk on claimant_records_window_idx is no index-only scan but one heap page per subject.
  await queryAsOwner(url, 'VACUUM ANALYZE claimant_records');
  log(`generated claimants ${from + 1}..${to} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function count(url) {
  const [{ n }] = await queryAsOwner(url, `SELECT count(*)::int AS n FROM claimant_records WHERE provider = '${PROVIDER}'`);
  return n;
}

function startProcess(name, script, env) {
  // Each app with its certificate of the test PKI (mutual TLS on gRPC, as in production).
  const proc = spawn(process.execPath, [script], { env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', LOG_LEVEL: 'warn', ...withTestTls(path.basename(path.dirname(script)), env) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (c) => (output = (output + c).slice(-20_000)));
  proc.stderr.on('data', (c) => (output = (output + c).slice(-20_000)));
  const exited = new Promise((r) => proc.once('exit', r));
  return {
    name,
    proc,
    output: () => output,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function waitFor(p, check, what) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (p.proc.exitCode !== null) throw new Error(`${p.name} exited before ${what}:\n${p.output().slice(-3000)}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${p.name}: no ${what}:\n${p.output().slice(-3000)}`);
    await sleep(100);
  }
}
const tcpOpen = (port) => new Promise((resolve) => {
  const s = net.connect(port, '127.0.0.1');
  s.once('connect', () => (s.destroy(), resolve(true)));
  s.once('error', () => resolve(false));
});

/** consent-audit + gateway on `dbUrl` (migrations run by them at start). */
async function startStack(dbUrl, registry, secretsDir) {
  const caPort = await freePort();
  const gwPort = await freePort();
  const common = {
    DATABASE_URL: dbUrl,
    // Bench databases are migrated by the apps at start, as the owner: development mode (libs/persistence/src/app-login.ts).
    PASSERELLE_ALLOW_OWNER_LOGIN: '1',
    KAFKA_BROKERS: process.env.KAFKA_BROKERS || '127.0.0.1:9092',
    PASSERELLE_REGISTRY: registry.file,
    PASSERELLE_SECRETS_DIR: secretsDir,
    CONSENT_AUDIT_URL: `127.0.0.1:${caPort}`,
  };
  const ca = startProcess('consent-audit', path.join(ROOT, 'dist/apps/consent-audit/main.js'), { ...common, CONSENT_AUDIT_METRICS_PORT: String(await freePort()) });
  try {
    await waitFor(ca, () => tcpOpen(caPort), 'gRPC port');
  } catch (e) {
    await ca.stop();
    throw e;
  }
  const gw = startProcess('gateway', path.join(ROOT, 'dist/apps/gateway/main.js'), { ...common, GATEWAY_PORT: String(gwPort) });
  try {
    await waitFor(gw, async () => (await fetch(`http://127.0.0.1:${gwPort}/.well-known/jwks.json`)).status < 500, 'HTTP');
  } catch (e) {
    await gw.stop();
    await ca.stop();
    throw e;
  }
  const key = registry.activeKey(CONSUMER);
  const client = new GatewayClient({ url: `http://127.0.0.1:${gwPort}`, agency: CONSUMER, kid: key.kid, privateKey: key.privateJwk, alg: 'EdDSA', gatewayId: registry.document.gatewayId, verifyResponses: false });
  return { client, stop: async () => (await gw.stop(), await ca.stop()) };
}

async function pageLatency(client) {
  const run = async (i) => {
    const t0 = performance.now();
    const res = await client.graphql(PAGE, { f: FILTERS[i % FILTERS.length] }, PURPOSE);
    const ms = performance.now() - t0;
    const nodes = res.json?.data?.claimants?.nodes;
    if (res.status !== 200 || !nodes || res.json.errors) throw new Error(`claimants failed: HTTP ${res.status} ${res.body.slice(0, 300)}`);
    return { ms, rows: nodes.length };
  };
  for (let i = 0; i < FILTERS.length * 2; i++) await run(i); // warm-up: plans, JIT, caches
  const times = [];
  let rows = 0;
  const end = performance.now() + MAX_SECONDS * 1000;
  for (let i = 0; i < SAMPLES && (i < 20 || performance.now() < end); i++) {
    const r = await run(i);
    times.push(r.ms);
    rows += r.rows;
  }
  times.sort((a, b) => a - b);
  const pct = (p) => +times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))].toFixed(2);
  return { p50: pct(50), p99: pct(99), samples: times.length, meanRows: Math.round(rows / times.length) };
}

const label = (n) => `1e${Math.round(Math.log10(n))}`;

async function main() {
  const agreement = { id: 'dsa-msss-esdc-scale', provider: PROVIDER, consumer: CONSUMER, purposes: [PURPOSE], fields: ['healthCareHours', 'sector', 'nocCode', 'province', 'frenchLevel'], validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'benchmark' };
  const registry = await createTestRegistry({ agencies: [{ id: PROVIDER, roles: ['PROVIDER'] }, { id: CONSUMER, roles: ['CONSUMER'] }], agreements: [agreement], consentRequiredFor: ['JOB_MATCHING'] });
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const dbUrl = (name) => Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString();
  const figures = {};
  const scratch = `bench_scale_${Date.now().toString(36)}`;
  const temp = [];
  try {
    const small = SIZES.filter((n) => n < 1_000_000).sort((a, b) => a - b);
    if (small.length) {
      await admin.query(`CREATE DATABASE "${scratch}"`);
      const secrets = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scale-'));
      temp.push(secrets);
      const stack = await startStack(dbUrl(scratch), registry, secrets);
      try {
        let have = 0;
        for (const n of small) {
          await generate(dbUrl(scratch), have, n);
          have = n;
          const r = await pageLatency(stack.client);
          log(`${n} claimants: ${JSON.stringify(r)} (load average ${os.loadavg()[0].toFixed(2)})`);
          figures[`claimantsPage100P50Ms_${label(n)}`] = r.p50;
          figures[`claimantsPage100P99Ms_${label(n)}`] = r.p99;
        }
      } finally {
        await stack.stop();
      }
    }
    for (const n of SIZES.filter((x) => x >= 1_000_000)) {
      const cache = `bench_cache_scale_${n}`;
      const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [cache])).rowCount > 0;
      if (!exists) await admin.query(`CREATE DATABASE "${cache}"`);
      const secrets = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scale-'));
      temp.push(secrets);
      const stack = await startStack(dbUrl(cache), registry, secrets);
      try {
        const have = await count(dbUrl(cache));
        if (have < n) await generate(dbUrl(cache), have, n);
        const r = await pageLatency(stack.client);
        log(`${n} claimants: ${JSON.stringify(r)} (load average ${os.loadavg()[0].toFixed(2)})`);
        figures[`claimantsPage100P50Ms_${label(n)}`] = r.p50;
        figures[`claimantsPage100P99Ms_${label(n)}`] = r.p99;
      } finally {
        await stack.stop();
      }
    }
    figures.loadAvg1m = +os.loadavg()[0].toFixed(2);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${scratch}" WITH (FORCE)`);
    await admin.end();
    await registry.cleanup();
    for (const d of temp) fs.rmSync(d, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench scale: ${e.stack || e}\n`);
  process.exit(1);
});
