#!/usr/bin/env node
/**
 * Cost of trust (issue 9, benchmark 1). Prints one JSON object of figures on its last line.
 *
 *   npm run build && DATABASE_URL=postgres://root@127.0.0.1:5432/test KAFKA_BROKERS=127.0.0.1:9092 node bench/trust.js
 *   (BENCH_SMOKE=1: 2 s per server, 2,000 claimants; BENCH_CPU_PROF=DIR: --cpu-prof for the
 *   gateways and consent-audit, profiles written to DIR when they stop)
 *
 * In a scratch database (dropped at the end), with a generated registry (provider ca.ircc,
 * consumer ca.esdc, one JOB_MATCHING agreement over 7 fields, consent required) and a temp
 * secrets dir, it starts, all with NODE_ENV=production and LOG_LEVEL=warn:
 *   - the built consent-audit (decisions, consents, ledger);
 *   - the built gateway, full trust: signature, replay (PostgreSQL), agreement and consent decided
 *     in the gateway (consent standing read in the records SQL), the ledger entry sequenced in
 *     PostgreSQL (durable, batched per event-loop turn) before answering, response signature;
 *   - the trust-off gateway (bench/trust-off/: the same gateway modules with the trust providers
 *     replaced, built by the bench, never part of `npm run build`), started with
 *     PASSERELLE_BENCH_TRUST_OFF=1 (+ its two guards): no signature check, replay check, ledger
 *     entry or response signature (the agreements and the consent standing in the records SQL
 *     still apply: they are part of the read);
 *   - bench/bare-server.js: Fastify + Mercurius, same query shape, one SQL select;
 *   - bench/apollo-server.js: Apollo Server 4 standalone (what most teams run), same query
 *     shape, the same SQL select.
 * Loads N claimants through signed submitClaimants calls (10,000 per call), then grants every
 * one a JOB_MATCHING consent to ca.esdc straight in SQL (the consents table; loading shortcut).
 * Then a separate load process (bench/trust-load.js; requests pre-signed, unique jti each)
 * keeps 64 `claimant(pseudonym)` reads in flight against each server: `--rounds` rounds (4)
 * measure every server for `--seconds` ÷ rounds (10 s in all each), in an order rotated each
 * round, each server's first window after a 10 s warm-up, and a server's windows are pooled
 * (bench/lib/windows.js: a drift of the shared box lands on every server alike, not on whichever
 * was measured then). Last, the gateway's own verifier function (verifyAgencySignature, the
 * code the preHandler runs) is timed in this process: signature verifications per second.
 *
 * --steps (bench/trust-steps.js): only consent-audit and the full gateway, the gateway under
 * --cpu-prof; prints the gateway's CPU µs per exchange by step of the trust path (verify, replay,
 * decide, read, sequence, sign, and the components under them: bench/lib/profile-steps.js), over
 * the middle of the measured window. Profiling slows the process: its reads/s are not the
 * cost-of-trust figure.
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { installTs, ROOT } = require('./lib/ts');

installTs();
const { createTestDatabase, createTestRegistry, freePort, queryAsOwner } = require('@passerelle/testing');
const { startProcess, waitFor, tcpOpen, httpUp, startLoader } = require('./lib/stack');
const { stepsOfProfile, newestProfile, LABELS } = require('./lib/profile-steps');
const { roundOrder, poolWindows } = require('./lib/windows');
const { loadPseudonymKeyring, toInternalId, toAgencyPseudonym } = require('@passerelle/crypto');

const { SMOKE, arg } = require('./lib/args');
const STEPS_ONLY = process.argv.includes('--steps');
const CLAIMANTS = arg('claimants', SMOKE ? 2000 : 10_000);
const SECONDS = arg('seconds', SMOKE ? 2 : 10);
// 10 s: with 2, the full gateway's read path was still being compiled by V8 through the whole
// measuring time (its compiler threads held ≈ 0.2 cores; ≈ 0.06 once warm: bench/notes.md, trust).
const WARM = arg('warm', SMOKE ? 1 : 10);
const CONCURRENCY = arg('concurrency', 64);
// Rounds of interleaved windows (bench/lib/windows.js); SECONDS is each server's measured time in all.
const ROUNDS = arg('rounds', SMOKE ? 1 : 4);
const PROVIDER = 'ca.ircc';
const CONSUMER = 'ca.esdc';
const PURPOSE = 'JOB_MATCHING';
const FIELDS = ['claimStatus', 'claimDate', 'province', 'workPermitExpiry', 'nocCode', 'sector', 'frenchLevel'];
const QUERY = 'query C($p: String!) { claimant(pseudonym: $p) { pseudonym claimStatus claimDate province workPermitExpiry nocCode sector frenchLevel } }';
const SUBMIT = 'mutation S($records: [ClaimantInput!]!) { submitClaimants(records: $records) { accepted { index } rejected { index reason } } }';
const SECTORS = ['HEALTH_CARE', 'SOCIAL_ASSISTANCE', 'FOOD_SERVICES', 'SECURITY', 'OTHER'];
const NOCS = ['33102', '64410', '65201', '65310', '13110'];
const PROVINCES = ['QC', 'ON', 'BC', 'AB', 'MB'];

const log = (m) => process.stderr.write(`bench trust: ${m}\n`);

function record(i) {
  return {
    clientId: `TRUST-BENCH-${i}`,
    claimStatus: 'PENDING',
    claimDate: '2020-05-01',
    province: PROVINCES[i % PROVINCES.length],
    workPermitExpiry: '2027-03-31',
    nocCode: NOCS[i % NOCS.length],
    sector: SECTORS[i % SECTORS.length],
    frenchLevel: 1 + (i % 12),
  };
}

/** verifyAgencySignature (the gateway's preHandler check, without the replay insert) per second. */
async function verifierRate(registryDocument, key) {
  const { Registry } = require('@passerelle/registry');
  const { verifyAgencySignature } = require(path.join(ROOT, 'apps/gateway/src/exchange/agency-signature.verifier.ts'));
  const registry = new Registry(registryDocument);
  const priv = crypto.createPrivateKey({ key: key.privateJwk, format: 'jwk' });
  const body = Buffer.from(JSON.stringify({ query: QUERY, variables: { p: 'p1_x' } }));
  const digest = crypto.createHash('sha256').update(body).digest('base64url');
  const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: key.kid, typ: 'agency-request+jwt' })).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const sigs = Array.from({ length: 2000 }, (_, i) => {
    const claims = { iss: CONSUMER, aud: registryDocument.gatewayId, iat: now, exp: now + 300, jti: `verifierbench${i.toString().padStart(8, '0')}`, htm: 'POST', htu: '/graphql', purpose: PURPOSE, body_sha256: digest };
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${input}.${crypto.sign(null, Buffer.from(input), priv).toString('base64url')}`;
  });
  const once = async (i) => {
    const r = await verifyAgencySignature({ header: sigs[i % sigs.length], method: 'POST', url: '/graphql', body }, registry, now);
    if (!r.ok) throw new Error(`verifier refused the bench signature: ${r.code} ${r.message}`);
  };
  for (let i = 0; i < 500; i++) await once(i); // warm-up (JIT, imported key cache)
  let n = 0;
  const t0 = performance.now();
  const end = t0 + (SMOKE ? 500 : 2000);
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) await once(n + i);
    n += 100;
  }
  return Math.round(n / ((performance.now() - t0) / 1000));
}

/** The bench's registry: provider ca.ircc, consumer ca.esdc, one JOB_MATCHING agreement over FIELDS, consent required. */
function createTrustRegistry() {
  const agreement = { id: 'dsa-ircc-esdc-bench', provider: PROVIDER, consumer: CONSUMER, purposes: [PURPOSE], fields: FIELDS, validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'benchmark' };
  return createTestRegistry({
    agencies: [
      { id: PROVIDER, roles: ['PROVIDER'] },
      { id: CONSUMER, roles: ['CONSUMER'] },
    ],
    agreements: [agreement],
    consentRequiredFor: [PURPOSE],
  });
}

/**
 * Data: `claimants` claimants submitted by the provider through the gateway at `gatewayUrl`
 * (signed, audited), consents straight in SQL. Returns the consumer's pseudonyms for them.
 */
/**
 * Loads the bench's claimants through signed submissions (`record(i)` for each, default this
 * bench's) and their consents in SQL (a loading shortcut); returns the consumer's pseudonyms.
 */
async function loadClaimants({ db, registry, keyring, gatewayUrl, claimants = CLAIMANTS, record: recordOf = record }) {
  const tLoad = performance.now();
  const provider = registry.client(PROVIDER, gatewayUrl);
  for (let start = 0; start < claimants; start += 10_000) {
    const records = [];
    for (let i = start; i < Math.min(claimants, start + 10_000); i++) records.push(recordOf(i));
    const res = await provider.graphql(SUBMIT, { records }, 'PROVISION');
    const out = res.json?.data?.submitClaimants;
    if (!out || out.accepted.length !== records.length) throw new Error(`submitClaimants failed: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  }
  const subjects = Array.from({ length: claimants }, (_, i) => toInternalId(keyring, recordOf(i).clientId));
  await queryAsOwner(
    db.url,
    `INSERT INTO consents (id, subject, purpose, recipient, collected_by, valid_from, expires_at, evidence_sha256, granted_at)
     SELECT gen_random_uuid(), s, $2, $3, $4, now() - interval '1 hour', now() + interval '7 days', $5, now() FROM unnest($1::text[]) AS s`,
    [subjects, PURPOSE, CONSUMER, PROVIDER, crypto.createHash('sha256').update('bench consent form').digest('base64url')],
  );
  await queryAsOwner(db.url, 'ANALYZE');
  log(`${claimants} claimants and consents loaded in ${((performance.now() - tLoad) / 1000).toFixed(1)} s`);
  return subjects.map((s) => toAgencyPseudonym(keyring, CONSUMER, s));
}

/** The load process (bench/trust-load.js) set up to read as the consumer: see startLoader. */
function startTrustLoader(dir, registry, pseudonyms) {
  const key = registry.activeKey(CONSUMER);
  return startLoader(dir, { privateJwk: key.privateJwk, kid: key.kid, agency: CONSUMER, gatewayId: registry.document.gatewayId, purpose: PURPOSE, query: QUERY, pseudonyms }, log);
}

/**
 * --steps: the full gateway alone under load, profiled; its CPU µs per exchange by step over the
 * middle of the measured window (1 s trimmed at each end, so the profile's clock, aligned on the
 * process's exit, need not be exact).
 */
async function stepsRun({ db, registry, secretsDir, ports, full, profDir, keyring }) {
  const pseudonyms = await loadClaimants({ db, registry, keyring, gatewayUrl: `http://127.0.0.1:${ports.full}` });
  const loader = await startTrustLoader(secretsDir, registry, pseudonyms);
  let f;
  let tStart;
  let tEnd;
  try {
    const tCall = performance.now();
    f = await loader.measure('full', `http://127.0.0.1:${ports.full}`, { warmSeconds: WARM, seconds: SECONDS, concurrency: CONCURRENCY, unique: true });
    tEnd = performance.now();
    tStart = Math.max(tCall + WARM * 1000, tEnd - SECONDS * 1000);
  } finally {
    loader.close();
    loader.kill();
  }
  await full.stop();
  const tExit = performance.now();
  const profile = newestProfile(profDir, 'gateway-full');
  const trim = Math.min(1000, (tEnd - tStart) / 4);
  const fromUs = profile.endTime - (tExit - tStart - trim) * 1000;
  const toUs = profile.endTime - (tExit - tEnd + trim) * 1000;
  const { byStep, busyUs, idleUs } = stepsOfProfile(profile, { fromUs, toUs });
  const exchanges = (f.rps * (toUs - fromUs)) / 1e6;
  const figures = { profiledRps: f.rps, profiledP99Ms: f.p99Ms, busyUsPerExchange: +(busyUs / exchanges).toFixed(1), idleShare: +(idleUs / (busyUs + idleUs)).toFixed(3) };
  for (const k of Object.keys(LABELS)) figures[k] = +((byStep.get(k) || 0) / exchanges).toFixed(1);
  if (process.env.BENCH_KEEP_PROFILE) log(`profile kept in ${profDir}`);
  else fs.rmSync(profDir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

async function main() {
  const started = [];
  const db = await createTestDatabase('bench_trust');
  const registry = await createTrustRegistry();
  const secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-trust-'));
  let loader;
  try {
    const keyring = await loadPseudonymKeyring(secretsDir); // created here, shared by all the servers
    const caPort = await freePort();
    const common = {
      DATABASE_URL: db.url,
      // Bench databases are migrated by the apps at start, as the owner: development mode (libs/persistence/src/app-login.ts).
      PASSERELLE_ALLOW_OWNER_LOGIN: '1',
      KAFKA_BROKERS: process.env.KAFKA_BROKERS || '127.0.0.1:9092',
      PASSERELLE_REGISTRY: registry.file,
      PASSERELLE_SECRETS_DIR: secretsDir,
      CONSENT_AUDIT_URL: `127.0.0.1:${caPort}`,
    };
    const ca = startProcess('consent-audit', path.join(ROOT, 'dist/apps/consent-audit/main.js'), { ...common, CONSENT_AUDIT_METRICS_PORT: String(await freePort()) });
    started.push(ca);
    await waitFor(ca, () => tcpOpen(caPort), 'gRPC port');

    const ports = { full: await freePort(), trustOff: await freePort(), bare: await freePort(), apollo: await freePort() };
    const profDir = STEPS_ONLY ? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-trust-steps-')) : undefined;
    const full = startProcess('gateway-full', path.join(ROOT, 'dist/apps/gateway/main.js'), { ...common, GATEWAY_PORT: String(ports.full) }, profDir ? { cpuProfDir: profDir } : {});
    started.push(full);
    await waitFor(full, () => httpUp(`http://127.0.0.1:${ports.full}/.well-known/jwks.json`), 'HTTP');
    if (STEPS_ONLY) return await stepsRun({ db, registry, secretsDir, ports, full, profDir, keyring });
    const off = startProcess('gateway-trust-off', path.join(ROOT, 'bench/trust-off/main.js'), {
      ...common,
      GATEWAY_PORT: String(ports.trustOff),
      PASSERELLE_BENCH_TRUST_OFF: '1',
      PASSERELLE_BENCH_ACK: 'i-understand-this-disables-trust',
    });
    started.push(off);
    await waitFor(off, () => httpUp(`http://127.0.0.1:${ports.trustOff}/.well-known/jwks.json`), 'HTTP');
    const bare = startProcess('bare', path.join(__dirname, 'bare-server.js'), { DATABASE_URL: db.url, BARE_PORT: String(ports.bare), BARE_SECRETS_DIR: secretsDir, BARE_AGENCY: CONSUMER });
    started.push(bare);
    await waitFor(bare, async () => bare.output().includes('bare listening'), 'listening line');
    const apollo = startProcess('apollo', path.join(__dirname, 'apollo-server.js'), { DATABASE_URL: db.url, APOLLO_PORT: String(ports.apollo), BARE_SECRETS_DIR: secretsDir, BARE_AGENCY: CONSUMER });
    started.push(apollo);
    // Apollo's module graph is the largest of the peers: on a loaded box its start-up takes longest.
    await waitFor(apollo, async () => apollo.output().includes('apollo listening'), 'listening line', 180_000);

    // Data: N claimants submitted by the provider (signed, audited), consents straight in SQL.
    const pseudonyms = await loadClaimants({ db, registry, keyring, gatewayUrl: `http://127.0.0.1:${ports.full}` });

    // The three servers answer the same thing (the full one signed, with an audit_seq).
    const consumer = registry.client(CONSUMER, `http://127.0.0.1:${ports.full}`);
    const check = await consumer.graphql(QUERY, { p: pseudonyms[7] }, PURPOSE);
    const want = check.json?.data?.claimant;
    if (!want || want.nocCode === null || check.auditSeq === undefined) throw new Error(`full gateway check failed: HTTP ${check.status} ${check.body.slice(0, 400)}`);
    for (const [name, port] of [['trustOff', ports.trustOff], ['bare', ports.bare], ['apollo', ports.apollo]]) {
      const c = registry.client(CONSUMER, `http://127.0.0.1:${port}`);
      const r = await c.graphql(QUERY, { p: pseudonyms[7] }, PURPOSE);
      if (JSON.stringify(r.json?.data?.claimant) !== JSON.stringify(want)) throw new Error(`${name} answers differently: ${r.body.slice(0, 400)} vs ${JSON.stringify(want)}`);
      if (r.headers.get('x-gateway-signature')) throw new Error(`${name} signed its answer: the trust layer is not off`);
    }

    // Load from a separate process.
    const key = registry.activeKey(CONSUMER);
    loader = await startTrustLoader(secretsDir, registry, pseudonyms);
    // Which process holds which core while each server is measured (the server's own threads split
    // into its event loop and the rest: the key-operation worker, where the gateway verifies and
    // signs, libuv's pool and V8's threads).
    const roleOf = (server) => (pid, cmd) => {
      if (pid === server.proc.pid) return 'server';
      if (pid === loader.pid) return 'load process';
      if (pid === ca.proc.pid) return 'consent-audit';
      if (/postgres/.test(cmd)) return 'postgres (all sessions of the machine)';
      return 'other processes';
    };
    const servers = {
      bare: { server: bare, port: ports.bare, unique: false },
      apollo: { server: apollo, port: ports.apollo, unique: false },
      trustOff: { server: off, port: ports.trustOff, unique: false },
      full: { server: full, port: ports.full, unique: true },
    };
    const window = (name, warmSeconds, seconds) => {
      const { server, port, unique } = servers[name];
      return loader.measure(name, `http://127.0.0.1:${port}`, { warmSeconds, seconds, concurrency: CONCURRENCY, unique, latencies: true }, { cores: { roleOf: roleOf(server), splitPids: [server.proc.pid] } });
    };
    const loadAvg1mAtStart = os.loadavg()[0];
    // Taking turns (bench/lib/windows.js): ROUNDS rounds measure every server for SECONDS ÷ ROUNDS,
    // in an order rotated each round; a server's first window warms it up WARM seconds, the later
    // ones 1 s (the load process opens new connections each window); its windows are pooled.
    const names = Object.keys(servers);
    const windows = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = 0; r < ROUNDS; r++) for (const n of roundOrder(names, r)) windows[n].push(await window(n, r === 0 ? WARM : 1, SECONDS / ROUNDS));
    const pooled = Object.fromEntries(names.map((n) => [n, poolWindows(windows[n])]));
    log(`pooled: ${JSON.stringify(Object.fromEntries(names.map((n) => [n, pooled[n].windowRps])))} reads/s by window`);
    const { bare: b, apollo: a, trustOff: o, full: f } = pooled;
    loader.close();
    const gatewaySignatureVerifiesPerSec = await verifierRate(registry.document, key);
    // CPU per read over the bench's own processes (server, its PostgreSQL sessions with the
    // machine's, consent-audit, the load process; not 'other processes'): the cost of trust in µs
    // is full − trustOff, the same gateway with the trust layer off, measured in the same run.
    const cpuUsPerRead = (p) => Math.round((Object.entries(p.cores ?? {}).reduce((sum, [role, c]) => (role === 'other processes' ? sum : sum + c), 0) / p.rps) * 1e6);

    const figures = {
      fullRps: f.rps,
      fullP50Ms: f.p50Ms,
      fullP99Ms: f.p99Ms,
      trustOffRps: o.rps,
      trustOffP50Ms: o.p50Ms,
      trustOffP99Ms: o.p99Ms,
      bareRps: b.rps,
      bareP50Ms: b.p50Ms,
      bareP99Ms: b.p99Ms,
      apolloRps: a.rps,
      apolloP50Ms: a.p50Ms,
      apolloP99Ms: a.p99Ms,
      fullOverBareRps: +(f.rps / b.rps).toFixed(3),
      fullOverApolloRps: +(f.rps / a.rps).toFixed(3),
      fullOverTrustOffRps: +(f.rps / o.rps).toFixed(3),
      trustOffOverBareRps: +(o.rps / b.rps).toFixed(3),
      gatewaySignatureVerifiesPerSec,
      fullCpuUsPerRead: cpuUsPerRead(f),
      trustOffCpuUsPerRead: cpuUsPerRead(o),
      bareCpuUsPerRead: cpuUsPerRead(b),
      apolloCpuUsPerRead: cpuUsPerRead(a),
      trustCpuUsPerRead: cpuUsPerRead(f) - cpuUsPerRead(o),
      // …and by process: what the trust layer adds to each
      ...Object.fromEntries(
        Object.keys(f.cores ?? {})
          .filter((role) => role !== 'other processes')
          .map((role) => [`trustCpuUs ${role}`, Math.round((f.cores[role] / f.rps - (o.cores?.[role] ?? 0) / o.rps) * 1e6)]),
      ),
      concurrency: CONCURRENCY,
      seconds: SECONDS,
      rounds: ROUNDS,
      claimants: CLAIMANTS,
      inlineSignedFull: f.inlineSigned,
      // cores held while the full gateway was measured, by process (numbers, so `npm run bench` tabulates them)
      ...Object.fromEntries(Object.entries(f.cores).map(([role, cores]) => [`coresFull ${role}`, cores])),
      loadAvg1mAtStart: +loadAvg1mAtStart.toFixed(2),
      loadAvg1mAtEnd: +os.loadavg()[0].toFixed(2),
    };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    loader?.kill();
    for (const p of started.reverse()) await p.stop();
    await db.drop();
    await registry.cleanup();
    fs.rmSync(secretsDir, { recursive: true, force: true });
  }
}

function run() {
  return main().catch((e) => {
    process.stderr.write(`bench trust: ${e.stack || e}\n`);
    process.exit(1);
  });
}

module.exports = { createTrustRegistry, loadClaimants, startTrustLoader, run, QUERY, CONSUMER, PURPOSE };

if (require.main === module) run();
