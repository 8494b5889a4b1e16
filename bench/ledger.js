#!/usr/bin/env node
/**
 * Ledger benchmark (plain Node; not part of npm test). Prints one JSON object of figures on
 * its last stdout line.
 *
 *   npm run build && DATABASE_URL=postgres://root@127.0.0.1:5432/test node bench/ledger.js [--seconds 3] [--big 100000] [--huge 1000000]
 *   … node bench/ledger.js --verify-only [--big 100000]   (fill to --big entries, verification figures only)
 *
 * Against the BUILT consent-audit (dist/apps/consent-audit/main.js) over gRPC, in a scratch
 * database dropped at the end:
 * 1. appends/s with 1, 8 and 64 concurrent callers (group commit), one Append call each
 *    (BENCH_LEDGER_PROCS=n spreads the 64 over n client processes); then 64 and 512 callers
 *    whose appends are coalesced per event-loop turn into AppendBatch calls, as the gateway's
 *    LedgerClient.append does: grpc-js costs ~0.2 ms of CPU per call on each side, which caps
 *    one-call-per-append well below 10,000/s on 2 cores whatever the ledger does;
 * 2. full verification: entries fetched with GetEntries (pages of 1,000), then recomputed
 *    (leaves, root, against the signed tree head) by the pure single-threaded LedgerVerifier,
 *    by ChunkedLedgerVerifier with 0, 1 and 2 hashing threads beside the main thread, and as
 *    `passerelle audit verify` does for that size (verifyEntriesPerSec: ChunkedLedgerVerifier
 *    with defaultVerifyWorkers); the same, as the CLI does and with 0 threads, for the 10^6
 *    ledger (verifyEntriesPerSec1e6);
 * 3. proof latency (GetInclusionProof, GetConsistencyProof, GetSignedTreeHead(n) signed on
 *    demand) at 10^4, 10^5 and 10^6 entries. Ledgers are filled with AppendBatch calls of 1,000
 *    (the writer's real path). The 10^6 ledger (--huge 0 skips it) is filled ONCE into the
 *    database bench_cache_ledger_1000000 (+ a secrets dir in the temp dir), reused by the next
 *    runs of the same `npm run bench`, which drops bench_cache_* databases when it ends.
 * BENCH_SMOKE=1: a seconds-long run (1 s per concurrency, 10^4 entries only).
 */
'use strict';
const { fork, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const ROOT = path.resolve(__dirname, '..');
const LOADER = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs: [path.join(ROOT, 'proto')] };

function ledgerClient(url) {
  const grpc = require('@grpc/grpc-js');
  const protoLoader = require('@grpc/proto-loader');
  const def = protoLoader.loadSync('passerelle/consentaudit/v1/consent_audit.proto', LOADER);
  const ns = grpc.loadPackageDefinition(def).passerelle.consentaudit.v1;
  // Mutual TLS as the gateway, with the test PKI the main process made (callers inherit its directory).
  const tls = process.env.PASSERELLE_TEST_PKI_DIR;
  const credentials = grpc.credentials.createSsl(...['ca.crt', 'gateway.key', 'gateway.crt'].map((f) => fs.readFileSync(path.join(tls, f))));
  const client = new ns.Ledger(url, credentials, { 'grpc.max_receive_message_length': 64 * 1024 * 1024, 'grpc.ssl_target_name_override': 'consent-audit', 'grpc.default_authority': 'consent-audit' });
  const unary = (method) => (req) => new Promise((resolve, reject) => client[method](req, (err, res) => (err ? reject(err) : resolve(res))));
  return {
    append: unary('Append'),
    appendBatch: unary('AppendBatch'),
    sth: unary('GetSignedTreeHead'),
    entries: unary('GetEntries'),
    inclusion: unary('GetInclusionProof'),
    consistency: unary('GetConsistencyProof'),
    close: () => client.close(),
  };
}

let counter = 0;
function entry() {
  counter++;
  return {
    entry: {
      agency: counter % 2 ? 'qc.mifi' : 'ca.esdc',
      kid: 'bench-key-1',
      jti: `bench${process.pid}x${counter}aaaaaaaa`,
      purpose: 'JOB_MATCHING',
      operation: 'graphql:claimants',
      decision: counter % 10 ? 'PERMIT' : 'DENY',
      reason: counter % 10 ? 'ok' : 'CONSENT_REQUIRED',
      subjects: counter % 3 ? ['i_AAAAAAAAAAAAAAAAAAAAAA', 'i_BBBBBBBBBBBBBBBBBBBBBB'] : [],
      fields: ['nocCode', 'province'],
      requestSha256: '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU',
      responseSha256: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg',
      requestId: `req-${counter}`,
    },
  };
}

/** What the gateway's LedgerClient does: appends of one event-loop turn go as one AppendBatch call. */
function coalescing(ledger) {
  let queue = [];
  return (req) =>
    new Promise((resolve, reject) => {
      queue.push({ entry: req.entry, resolve, reject });
      if (queue.length === 1) {
        setImmediate(() => {
          const batch = queue;
          queue = [];
          ledger.appendBatch({ entries: batch.map((b) => b.entry) }).then(
            (res) => batch.forEach((b, i) => b.resolve(res.results[i])),
            (e) => batch.forEach((b) => b.reject(e)),
          );
        });
      }
    });
}

/** Child process: `callers` concurrent callers append until `until` (epoch ms) or `count` each. */
async function callerProcess() {
  const { url, callers, count, coalesce } = JSON.parse(process.argv[3]);
  const ledger = ledgerClient(url);
  if (coalesce) ledger.append = coalescing(ledger);
  await ledger.sth({ treeSize: 0 }); // connect before the clock starts
  process.send({ ready: true });
  const { until } = await new Promise((r) => process.once('message', r));
  let done = 0;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      for (let i = 0; count ? i < count : Date.now() < until; i++) {
        await ledger.append(entry());
        done++;
      }
    }),
  );
  process.send({ done });
  ledger.close();
  process.exit(0);
}

/** Appends/s with `callers` spread over `procs` client processes for `seconds` (or `count` per caller). */
async function appendRate(url, callers, procs, seconds, count = 0, coalesce = false) {
  const children = [];
  for (let i = 0; i < procs; i++) {
    const per = Math.floor(callers / procs) + (i < callers % procs ? 1 : 0);
    const child = fork(__filename, ['--caller', JSON.stringify({ url, callers: per, count, coalesce })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(new Promise((resolve, reject) => {
      child.on('message', (m) => (m.ready ? resolve(child) : null));
      child.on('exit', (code) => (code ? reject(new Error(`caller process exited ${code}`)) : null));
    }));
  }
  const ready = await Promise.all(children);
  const until = Date.now() + seconds * 1000;
  const t0 = performance.now();
  const results = ready.map((child) => new Promise((resolve) => child.on('message', (m) => m.done !== undefined && resolve(m.done))));
  // The deadline travels in the go message, so every process stops at the same time.
  for (const child of ready) child.send({ go: true, until });
  const done = (await Promise.all(results)).reduce((a, b) => a + b, 0);
  return Math.round(done / ((performance.now() - t0) / 1000));
}

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function latency(n, fn) {
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
  }
  return { p50: +percentile(ms, 50).toFixed(2), p99: +percentile(ms, 99).toFixed(2) };
}

/**
 * Fills the ledger up to `size` entries with AppendBatch calls of 1,000 entries, 4 in flight
 * (the writer's real path: validation, hashing, nodes, group commit; just no per-entry gRPC call).
 */
async function fillTo(ledger, url, size) {
  let have = (await ledger.sth({ treeSize: 0 })).treeSize;
  const t0 = performance.now();
  const from = have;
  const inFlight = new Set();
  while (have < size || inFlight.size) {
    while (have < size && inFlight.size < 4) {
      const n = Math.min(1000, size - have);
      have += n;
      const p = ledger.appendBatch({ entries: Array.from({ length: n }, () => entry().entry) }).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.race(inFlight);
  }
  if (size > from) process.stderr.write(`bench ledger: filled ${size - from} entries in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

/**
 * Full verification of the ledger as fetched (texts collected first, so fetch time is apart),
 * for each configuration asked: 'pure' (the reference single-threaded LedgerVerifier) or a
 * number of hashing threads for ChunkedLedgerVerifier ('cli': what `passerelle audit verify`
 * uses for this size, defaultVerifyWorkers). Each is fed in pages of 1,000 as the CLI does,
 * thread start-up included (each run makes its verifier), and run twice, the second counted: a
 * run of 10^5 entries takes ≈ 0.2 s, of which JIT warm-up would otherwise be a large share (a
 * real audit of millions of entries amortises it).
 */
async function verifyAll(ledger, merkle, configs) {
  const head = await ledger.sth({ treeSize: 0 });
  const texts = [];
  const tf = performance.now();
  for (let start = 0; start < head.treeSize; start += 1000) {
    const page = await ledger.entries({ start, end: Math.min(head.treeSize, start + 1000) - 1 });
    for (const e of page.entries) texts.push(e.canonicalJson);
  }
  const fetchMs = performance.now() - tf;
  const treeHead = { treeSize: head.treeSize, rootHash: Buffer.from(head.rootHash, 'base64url') };
  const noProof = async () => {
    throw new Error('no proof needed for a clean ledger');
  };
  const run = async (workers) => {
    const t = performance.now();
    const chunked = workers !== 'pure';
    const verifier = chunked ? new merkle.ChunkedLedgerVerifier(undefined, { workers }) : new merkle.LedgerVerifier();
    try {
      for (let start = 0; start < texts.length; start += 1000) {
        const end = Math.min(texts.length, start + 1000);
        for (let i = start; i < end; i++) verifier.push(i, texts[i]);
        if (chunked) await verifier.drain();
      }
      const result = await verifier.finish(treeHead, noProof);
      if (!result.ok) throw new Error(`verification failed: ${result.message}`);
    } finally {
      if (chunked) await verifier.close();
    }
    return Math.round(head.treeSize / ((performance.now() - t) / 1000));
  };
  const cores = os.availableParallelism();
  const cliWorkers = merkle.defaultVerifyWorkers(head.treeSize, cores);
  // Each distinct setting once ('cli' is one of the others when they coincide), in the order
  // asked: the CLI's own before the threaded ones, whose terminated threads leave garbage behind.
  const byWorkers = new Map();
  const rates = {};
  for (const config of configs) {
    const workers = config === 'cli' ? cliWorkers : config;
    if (!byWorkers.has(workers)) {
      await run(workers);
      byWorkers.set(workers, await run(workers));
    }
    rates[config] = byWorkers.get(workers);
  }
  return { entries: head.treeSize, fetchPerSec: Math.round(head.treeSize / (fetchMs / 1000)), cores, cliWorkers, rates };
}

async function proofLatency(ledger, size, samples) {
  const rand = (n) => Math.floor(Math.random() * n);
  const inclusion = await latency(samples, () => ledger.inclusion({ seq: rand(size), treeSize: size }));
  const consistency = await latency(samples, () => ledger.consistency({ first: 1 + rand(size - 1), second: size }));
  // Heads for sizes never signed before: signed on demand (root from stored nodes + Ed25519 + insert).
  const sizes = new Set();
  while (sizes.size < Math.min(samples, 100)) sizes.add(1 + rand(size - 1));
  const list = [...sizes];
  const sth = await latency(list.length, (i) => ledger.sth({ treeSize: list[i] }));
  return { inclusion, consistency, sthOnDemand: sth };
}

async function main() {
  const smoke = process.env.BENCH_SMOKE === '1' || process.argv.includes('--smoke');
  const argv = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const seconds = argv('seconds', smoke ? 1 : 3);
  const big = argv('big', smoke ? 0 : 100_000);
  // --verify-only: no append rates or proof latencies, no 10^6 ledger: fill to --big, verify.
  const verifyOnly = process.argv.includes('--verify-only');
  const huge = verifyOnly ? 0 : argv('huge', smoke ? 0 : 1_000_000);
  const main = path.join(ROOT, 'dist/apps/consent-audit/main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run npm run build`);

  // The pure verifier from the TypeScript sources.
  require('./lib/ts').installTs();
  const merkle = require(path.join(ROOT, 'libs/merkle/src/index.ts'));

  const { Client } = require('pg');
  const adminUrl = process.env.DATABASE_URL || 'postgres://root@127.0.0.1:5432/test';
  const dbName = `bench_ledger_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const secrets = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ledger-'));
  const app = await startConsentAudit(main, adminUrl, dbName, secrets);
  const url = app.url;
  const figures = {};
  try {
    const ledger = ledgerClient(url);

    if (!verifyOnly) {
      figures.appendsPerSec1 = await appendRate(url, 1, 1, seconds);
      figures.appendsPerSec8 = await appendRate(url, 8, 1, seconds);
      figures.appendsPerSec64 = await appendRate(url, 64, Number(process.env.BENCH_LEDGER_PROCS || 1), seconds);
      // The same 64 callers, their appends coalesced per event-loop turn into AppendBatch calls (as LedgerClient.append does).
      figures.appendsPerSec64Coalesced = await appendRate(url, 64, 1, seconds, 0, true);
      figures.appendsPerSec512Coalesced = await appendRate(url, 512, 1, seconds, 0, true);
    }

    await fillTo(ledger, url, 10_000);
    if (!verifyOnly) {
      const p4 = await proofLatency(ledger, 10_000, smoke ? 50 : 300);
      Object.assign(figures, {
        inclusionP50Ms_1e4: p4.inclusion.p50, inclusionP99Ms_1e4: p4.inclusion.p99,
        consistencyP50Ms_1e4: p4.consistency.p50, consistencyP99Ms_1e4: p4.consistency.p99,
        sthOnDemandP50Ms_1e4: p4.sthOnDemand.p50,
      });
    }
    if (big) await fillTo(ledger, url, big);
    if (big && !verifyOnly) {
      const p5 = await proofLatency(ledger, big, 300);
      Object.assign(figures, {
        inclusionP50Ms_1e5: p5.inclusion.p50, inclusionP99Ms_1e5: p5.inclusion.p99,
        consistencyP50Ms_1e5: p5.consistency.p50, consistencyP99Ms_1e5: p5.consistency.p99,
        sthOnDemandP50Ms_1e5: p5.sthOnDemand.p50,
      });
    }
    const v = await verifyAll(ledger, merkle, ['pure', 'cli', 0, 1, 2]);
    Object.assign(figures, {
      verifiedEntries: v.entries, fetchEntriesPerSec: v.fetchPerSec, verifyEntriesPerSec: v.rates.cli,
      verifyThreads: v.cliWorkers, verifyEntriesPerSecPure: v.rates.pure, verifyEntriesPerSecWorkers0: v.rates[0],
      verifyEntriesPerSecWorkers1: v.rates[1], verifyEntriesPerSecWorkers2: v.rates[2],
      cores: v.cores, loadAverage1m: +os.loadavg()[0].toFixed(2),
    });
    ledger.close();
  } finally {
    await app.stop();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    fs.rmSync(secrets, { recursive: true, force: true });
  }
  if (huge) {
    // 10^6 entries: filled once into a cache database (and its secrets dir) that the later runs
    // of the same `npm run bench` reuse; bench/run.js drops bench_cache_* databases at the end.
    const cacheName = `bench_cache_ledger_${huge}`;
    const cacheSecrets = path.join(os.tmpdir(), `${cacheName}-secrets`);
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [cacheName])).rowCount > 0;
    if (!exists) {
      await admin.query(`CREATE DATABASE "${cacheName}"`);
      fs.rmSync(cacheSecrets, { recursive: true, force: true }); // a fresh ledger gets fresh keys
    }
    fs.mkdirSync(cacheSecrets, { recursive: true, mode: 0o700 });
    const big6 = await startConsentAudit(main, adminUrl, cacheName, cacheSecrets);
    try {
      const ledger = ledgerClient(big6.url);
      await fillTo(ledger, big6.url, huge);
      const p6 = await proofLatency(ledger, huge, 300);
      Object.assign(figures, {
        inclusionP50Ms_1e6: p6.inclusion.p50, inclusionP99Ms_1e6: p6.inclusion.p99,
        consistencyP50Ms_1e6: p6.consistency.p50, consistencyP99Ms_1e6: p6.consistency.p99,
        sthOnDemandP50Ms_1e6: p6.sthOnDemand.p50,
      });
      // The first audit of a real ledger verifies millions of entries: where threads pay for their start-up.
      const v6 = await verifyAll(ledger, merkle, ['cli', 0]);
      Object.assign(figures, { verifyEntriesPerSec1e6: v6.rates.cli, verifyThreads1e6: v6.cliWorkers, verifyEntriesPerSecWorkers0_1e6: v6.rates[0] });
      ledger.close();
    } finally {
      await big6.stop();
    }
  }
  await admin.end();
  // "Flat (log n)": how much the median inclusion proof grows from 10^4 to the largest size.
  const largest = figures.inclusionP50Ms_1e6 ?? figures.inclusionP50Ms_1e5;
  if (largest !== undefined) figures.inclusionP50GrowthFrom1e4 = +(largest / figures.inclusionP50Ms_1e4).toFixed(3);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

/** The built consent-audit on database `dbName`, ready (its listening line seen). */
async function startConsentAudit(main, adminUrl, dbName, secrets) {
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${dbName}`;
  const net = require('node:net');
  const freePort = () => new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
  const url = `127.0.0.1:${await freePort()}`;
  const app = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      DATABASE_URL: dbUrl.toString(),
      // Bench databases are migrated by the apps at start, as the owner: development mode (libs/persistence/src/app-login.ts).
      PASSERELLE_ALLOW_OWNER_LOGIN: '1',
      KAFKA_BROKERS: process.env.KAFKA_BROKERS || '127.0.0.1:9092',
      PASSERELLE_REGISTRY: process.env.PASSERELLE_REGISTRY || path.join(ROOT, 'infra/registry/demo.json'),
      PASSERELLE_SECRETS_DIR: secrets,
      CONSENT_AUDIT_URL: url,
      CONSENT_AUDIT_METRICS_PORT: String(await freePort()),
      ...require(path.join(ROOT, 'libs/testing/src/test-pki.ts')).testTlsEnv('consent-audit'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = [];
  app.stdout.on('data', (c) => out.push(String(c)));
  app.stderr.on('data', (c) => out.push(String(c)));
  const stop = async () => {
    if (app.exitCode === null) app.kill('SIGTERM');
    await new Promise((r) => (app.exitCode !== null ? r() : app.once('exit', r)));
  };
  const deadline = Date.now() + 60_000;
  while (!out.join('').includes('consent-audit listening')) {
    if (app.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`consent-audit did not start:\n${out.join('').slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop };
}

if (process.argv[2] === '--caller') {
  callerProcess().catch((e) => {
    process.stderr.write(`${e.stack}\n`);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    process.stderr.write(`bench/ledger: ${e.stack || e}\n`);
    process.exit(1);
  });
}
