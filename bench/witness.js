#!/usr/bin/env node
/**
 * Witnessed ledger (issue 18). Prints one JSON object of figures on its last line.
 *
 *   npm run build && DATABASE_URL=… KAFKA_BROKERS=… node bench/witness.js
 *   (BENCH_SMOKE=1: 20 checkpoints, 2,000 claimants, 2 s per phase, one phase each;
 *    --latency-only: part 1 alone, without database nor apps)
 *
 * Two witnesses run as their own processes (`passerelle witness serve`, built CLI, each with its
 * own key and file state), as `npm start` runs them.
 *   1. Cosigning latency per checkpoint with two witnesses: a log key of the bench signs
 *      checkpoints of a growing tree (10 leaves each) and asks both witnesses, in parallel and as
 *      consent-audit's collector does (add-checkpoint with the consistency proof from the size each
 *      cosigned last), to cosign; the time until BOTH cosignatures are back, per checkpoint (the
 *      first 5 are warm-up). p50 / p99 / max.
 *   2. Exchange throughput with witnesses on vs off: the trust bench's load (bench/trust-load.js in
 *      a separate process, signed `claimant` reads, unique jti, 64 in flight) against the built
 *      consent-audit and gateway, in alternating phases; witnesses on = the registry names the two
 *      witnesses (consent-audit's collector asks them to cosign each checkpoint while the load
 *      runs), off = the registry names none (SIGHUP to both apps between phases; the phase starts
 *      once both recorded the reload in the ledger). Medians per mode, and the collector's own
 *      figures during the on phases (mean add-checkpoint time, checkpoints cosigned).
 */
'use strict';
const { fork, spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { installTs, ROOT } = require('./lib/ts');

installTs();
const { createTestDatabase, createTestRegistry, freePort, queryAsOwner, withTestTls } = require('@passerelle/testing');
const { loadPseudonymKeyring } = require('@passerelle/crypto');
const { loadClaimants } = require('./trust');
const { ed25519Signer, formatVkey, generateKeyPair, SIG_ED25519, signCheckpoint } = require('@passerelle/checkpoint');
const { formatAddCheckpointRequest } = require('@passerelle/witness');
const { consistencyProof, leafHash, rootHash } = require('@passerelle/merkle');

const SMOKE = process.env.BENCH_SMOKE === '1';
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const CHECKPOINTS = arg('checkpoints', SMOKE ? 20 : 300);
const CLAIMANTS = arg('claimants', SMOKE ? 2000 : 10_000);
const SECONDS = arg('seconds', SMOKE ? 2 : 10);
const WARM = arg('warm', SMOKE ? 1 : 2);
const PHASES = arg('phases', SMOKE ? 1 : 3); // per mode, alternating on, off, on, off…
const CONCURRENCY = arg('concurrency', 64);
/** --latency-only: part 1 alone (two witness processes, no database, no apps) */
const LATENCY_ONLY = process.argv.includes('--latency-only');
const PROVIDER = 'ca.ircc';
const CONSUMER = 'ca.esdc';
const PURPOSE = 'JOB_MATCHING';
const FIELDS = ['claimStatus', 'province', 'nocCode', 'frenchLevel'];
const QUERY = 'query C($p: String!) { claimant(pseudonym: $p) { pseudonym claimStatus province nocCode frenchLevel } }';
const CLI = path.join(ROOT, 'dist/apps/cli/main.js');

const log = (m) => process.stderr.write(`bench witness: ${m}\n`);
const stack = require('./lib/stack');
const { sleep, tcpOpen, httpUp } = stack;
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function startProcess(name, args, env, identity) {
  const proc = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', LOG_LEVEL: 'warn', ...(identity ? withTestTls(identity, env) : env) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (c) => (output = (output + c).slice(-20_000));
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
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

// Apps and witnesses start slowly on a busy 2-core box: the shared waitFor, with a longer bound.
const waitFor = (p, check, what, timeoutMs = 240_000) => stack.waitFor(p, check, what, timeoutMs);

/** A witness of its own: key (0600), state dir, port. */
function witnessKey(dir, name) {
  const key = path.join(dir, `${name}.key`);
  const vkey = execFileSync(process.execPath, [CLI, 'witness', 'keygen', '--name', name, '--out', key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  return { name, key, vkey, state: path.join(dir, `${name}-state`) };
}

/** Part 1: per checkpoint, both witnesses asked in parallel; the time until both cosigned. */
async function cosignLatency(witnesses, logPair) {
  const leaves = [];
  const last = new Map(witnesses.map((w) => [w.name, 0]));
  const times = [];
  for (let i = 0; i < CHECKPOINTS + 5; i++) {
    for (let j = 0; j < 10; j++) leaves.push(leafHash(`bench entry ${leaves.length}`));
    const note = signCheckpoint({ origin: logPair.name, size: leaves.length, rootHash: rootHash(leaves), extensions: [] }, [ed25519Signer(logPair)]);
    // Proofs are the log's work, done before asking (consent-audit has them from its stored nodes).
    const bodies = witnesses.map((w) => formatAddCheckpointRequest({ oldSize: last.get(w.name), proof: last.get(w.name) === 0 ? [] : consistencyProof(last.get(w.name), leaves), checkpoint: note }));
    const t0 = performance.now();
    const answers = await Promise.all(witnesses.map((w, k) => fetch(`${w.url}/add-checkpoint`, { method: 'POST', body: bodies[k] }).then(async (r) => ({ status: r.status, body: await r.text() }))));
    const ms = performance.now() - t0;
    answers.forEach((a, k) => {
      if (a.status !== 200 || !a.body.startsWith(`\u2014 ${witnesses[k].name} `)) throw new Error(`${witnesses[k].name} answered ${a.status}: ${a.body.slice(0, 200)}`);
      last.set(witnesses[k].name, leaves.length);
    });
    if (i >= 5) times.push(ms);
  }
  const s = times.sort((a, b) => a - b);
  return { cosignP50Ms: +pct(s, 50).toFixed(2), cosignP99Ms: +pct(s, 99).toFixed(2), cosignMaxMs: +s[s.length - 1].toFixed(2), checkpoints: s.length };
}

/** consent-audit's collector figures: add-checkpoint count and time sum (all witnesses), ok outcomes. */
async function collectorFigures(metricsUrl) {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const sum = (re) => [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
  return {
    seconds: sum(/^passerelle_witness_cosign_seconds_sum\{[^}]*\} (\S+)$/gm),
    count: sum(/^passerelle_witness_cosign_seconds_count\{[^}]*\} (\S+)$/gm),
    ok: sum(/^passerelle_witness_requests_total\{[^}]*outcome="cosigned"[^}]*\} (\S+)$/gm),
  };
}

/** Part 1 alone: the witnesses follow only the bench's log. */
async function latencyOnly() {
  const started = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-witnesses-'));
  fs.chmodSync(dir, 0o700);
  try {
    const witnesses = [witnessKey(dir, 'qc.cai'), witnessKey(dir, 'ca.opc')];
    const benchLog = generateKeyPair('bench.passerelle/latency', SIG_ED25519);
    const benchVkey = formatVkey(benchLog.name, SIG_ED25519, benchLog.publicKey);
    for (const w of witnesses) {
      w.port = await freePort();
      w.url = `http://127.0.0.1:${w.port}`;
      const p = startProcess(`witness ${w.name}`, [CLI, 'witness', 'serve', '--key', w.key, '--state', w.state, '--port', String(w.port), '--log', `${benchLog.name}=${benchVkey}`], {});
      started.push(p);
      await waitFor(p, async () => p.output().includes('listening on'), 'listening line');
    }
    process.stdout.write(`${JSON.stringify(await cosignLatency(witnesses, benchLog))}\n`);
  } finally {
    for (const p of started.reverse()) await p.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  if (LATENCY_ONLY) return latencyOnly();
  const started = [];
  const db = await createTestDatabase('bench_witness');
  const agreement = { id: 'dsa-ircc-esdc-bench', provider: PROVIDER, consumer: CONSUMER, purposes: [PURPOSE], fields: FIELDS, validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'benchmark' };
  const registry = await createTestRegistry({ agencies: [{ id: PROVIDER, roles: ['PROVIDER'] }, { id: CONSUMER, roles: ['CONSUMER'] }], agreements: [agreement], consentRequiredFor: [PURPOSE] });
  const secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-witness-'));
  let loader;
  try {
    const keyring = await loadPseudonymKeyring(secretsDir);
    const witnessDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-witnesses-'));
    fs.chmodSync(witnessDir, 0o700);
    const witnesses = [witnessKey(witnessDir, 'qc.cai'), witnessKey(witnessDir, 'ca.opc')];
    for (const w of witnesses) w.port = await freePort();
    for (const w of witnesses) w.url = `http://127.0.0.1:${w.port}`;
    const withWitnesses = { ...registry.document, witnesses: witnesses.map((w) => ({ name: w.name, vkey: w.vkey, url: w.url })) };
    const withoutWitnesses = { ...registry.document };
    delete withoutWitnesses.witnesses;
    await registry.write(withWitnesses);

    const caPort = await freePort();
    const metricsPort = await freePort();
    const common = {
      DATABASE_URL: db.url,
      PASSERELLE_ALLOW_OWNER_LOGIN: '1',
      KAFKA_BROKERS: process.env.KAFKA_BROKERS || '127.0.0.1:9092',
      PASSERELLE_REGISTRY: registry.file,
      PASSERELLE_SECRETS_DIR: secretsDir,
      CONSENT_AUDIT_URL: `127.0.0.1:${caPort}`,
    };
    const ca = startProcess('consent-audit', [path.join(ROOT, 'dist/apps/consent-audit/main.js')], { ...common, CONSENT_AUDIT_METRICS_PORT: String(metricsPort) }, 'consent-audit');
    started.push(ca);
    await waitFor(ca, () => tcpOpen(caPort), 'gRPC port');
    const gwPort = await freePort();
    const gw = startProcess('gateway', [path.join(ROOT, 'dist/apps/gateway/main.js')], { ...common, GATEWAY_PORT: String(gwPort) }, 'gateway');
    started.push(gw);
    await waitFor(gw, () => httpUp(`http://127.0.0.1:${gwPort}/.well-known/jwks.json`), 'HTTP');

    // The witnesses follow the ledger (its note key, out of band) and the bench's own log.
    const ledgerVkey = fs.readFileSync(path.join(secretsDir, 'public', 'log-note.vkey'), 'utf8').trim();
    const benchLog = generateKeyPair('bench.passerelle/latency', SIG_ED25519);
    const benchVkey = formatVkey(benchLog.name, SIG_ED25519, benchLog.publicKey);
    for (const w of witnesses) {
      const p = startProcess(`witness ${w.name}`, [CLI, 'witness', 'serve', '--key', w.key, '--state', w.state, '--port', String(w.port), '--log', `${ledgerVkey.split('+')[0]}=${ledgerVkey}`, '--log', `${benchLog.name}=${benchVkey}`], {});
      started.push(p);
      await waitFor(p, async () => p.output().includes('listening on'), 'listening line');
    }

    const latency = await cosignLatency(witnesses, benchLog);
    log(`cosigning latency, two witnesses: ${JSON.stringify(latency)}`);

    // Data for the load: N claimants (signed submissions), consents in SQL (bench/trust.js's loader).
    const witnessRecord = (i) => ({ clientId: `WITNESS-BENCH-${i}`, claimStatus: 'PENDING', province: 'QC', nocCode: '33102', frenchLevel: 1 + (i % 12) });
    const pseudonyms = await loadClaimants({ db, registry, keyring, gatewayUrl: `http://127.0.0.1:${gwPort}`, claimants: CLAIMANTS, record: witnessRecord });

    const key = registry.activeKey(CONSUMER);
    const loaderConfig = path.join(secretsDir, 'load-config.json');
    fs.writeFileSync(loaderConfig, JSON.stringify({ privateJwk: key.privateJwk, kid: key.kid, agency: CONSUMER, gatewayId: registry.document.gatewayId, purpose: PURPOSE, query: QUERY, pseudonyms }), { mode: 0o600 });
    loader = fork(path.join(__dirname, 'trust-load.js'), [loaderConfig], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise((resolve, reject) => {
      loader.once('message', resolve);
      loader.once('exit', (c) => reject(new Error(`load process exited ${c}`)));
    });
    const measure = (name) =>
      new Promise((resolve, reject) => {
        loader.once('message', (m) => (m.error ? reject(new Error(m.error)) : resolve(m)));
        loader.send({ cmd: 'run', url: `http://127.0.0.1:${gwPort}`, warmSeconds: WARM, seconds: SECONDS, concurrency: CONCURRENCY, unique: true, expectRps: 4000 });
      }).then((r) => {
        log(`${name}: ${JSON.stringify(r)} (load average ${os.loadavg()[0].toFixed(2)})`);
        if (r.errors > 0) throw new Error(`${name}: ${r.errors} failed requests, first: ${r.firstError}`);
        return r;
      });
    const reloads = async () => (await queryAsOwner(db.url, "SELECT count(*)::int AS n FROM ledger_entries WHERE operation = 'registry:reload'"))[0].n;
    /** Puts a registry in force in both apps; resolves once both recorded the reload. */
    const switchTo = async (doc) => {
      const before = await reloads();
      await registry.write(doc);
      ca.proc.kill('SIGHUP');
      gw.proc.kill('SIGHUP');
      await waitFor(ca, async () => (await reloads()) >= before + 2, 'registry reloads in the ledger');
    };

    const on = [];
    const off = [];
    let collector = { seconds: 0, count: 0, ok: 0 };
    for (let i = 0; i < PHASES; i++) {
      const c0 = await collectorFigures(`http://127.0.0.1:${metricsPort}`);
      on.push(await measure(`witnesses on #${i + 1}`));
      const c1 = await collectorFigures(`http://127.0.0.1:${metricsPort}`);
      collector = { seconds: collector.seconds + c1.seconds - c0.seconds, count: collector.count + c1.count - c0.count, ok: collector.ok + c1.ok - c0.ok };
      await switchTo(withoutWitnesses);
      off.push(await measure(`witnesses off #${i + 1}`));
      await switchTo(withWitnesses);
    }
    loader.send({ cmd: 'exit' });

    const rps = (xs) => median(xs.map((x) => x.rps));
    const figures = {
      ...latency,
      witnessesOnRps: rps(on),
      witnessesOffRps: rps(off),
      onOverOffRps: +(rps(on) / rps(off)).toFixed(3),
      witnessesOnP99Ms: median(on.map((x) => x.p99Ms)),
      witnessesOffP99Ms: median(off.map((x) => x.p99Ms)),
      onRpsRuns: on.map((x) => x.rps),
      offRpsRuns: off.map((x) => x.rps),
      collectorCosignMeanMs: collector.count ? +((collector.seconds / collector.count) * 1000).toFixed(2) : null,
      collectorCosignaturesDuringLoad: collector.ok,
      phases: PHASES,
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      claimants: CLAIMANTS,
    };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    fs.rmSync(witnessDir, { recursive: true, force: true });
  } finally {
    if (loader && loader.exitCode === null) loader.kill();
    for (const p of started.reverse()) await p.stop();
    await db.drop();
    await registry.cleanup();
    fs.rmSync(secretsDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench witness: ${e.stack || e}\n`);
  process.exit(1);
});
