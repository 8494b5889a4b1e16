#!/usr/bin/env node
/**
 * Scale curve of the trust path (issue 15). Prints one JSON object of figures on its last line
 * and, in a full run, draws them as SVG in docs/bench/ (trust-scale-concurrency.svg,
 * trust-scale-claimants.svg), linked from BENCHMARKS.md through bench/notes.md.
 *
 *   npm run build && DATABASE_URL=… KAFKA_BROKERS=… node bench/trust-scale.js
 *     [--concurrency 1,8,64,256] [--sizes 10000,100000,1000000] [--seconds 8] [--warm 2] [--out docs/bench]
 *   (BENCH_SMOKE=1: 1,000 then 3,000 claimants, 1 and 8 in flight, 1 s windows, SVGs to a temp dir)
 *
 * The built consent-audit and gateway (NODE_ENV=production, full trust: signature, replay,
 * decision, ledger commit, response signature — whatever the gateway does today: only its public
 * interfaces are used, env vars and signed GraphQL) over one scratch database, with the registry
 * of bench/trust.js (provider ca.ircc, consumer ca.esdc, JOB_MATCHING over 7 fields, consent
 * required). The signed `claimant(pseudonym)` read of bench/trust.js, from the separate load
 * process bench/trust-load.js (pre-signed, unique jti each):
 *   - at the first size (10^4), at each concurrency (1, 8, 64, 256 in flight);
 *   - then, the table grown to each further size (10^5, 10^6), at 64 in flight.
 * Claimants and their consents are generated in SQL straight into claimant_records and consents
 * (as bench/scale.js does: 10^6 signed submissions would take minutes), each subject a valid
 * internal id; the reads pick uniformly among up to 20,000 of them.
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
const { loadPseudonymKeyring, toAgencyPseudonym } = require('@passerelle/crypto');
const { startProcess, waitFor, tcpOpen, httpUp, startLoader } = require('./lib/stack');
const { lineChart } = require('./lib/svg-chart');

const SMOKE = process.env.BENCH_SMOKE === '1';
const argStr = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const list = (s) => s.split(',').map(Number);
const CONCURRENCY = list(argStr('concurrency', SMOKE ? '1,8' : '1,8,64,256'));
const SIZES = list(argStr('sizes', SMOKE ? '1000,3000' : '10000,100000,1000000'));
const SIZE_CONCURRENCY = Number(argStr('size-concurrency', SMOKE ? '8' : '64'));
const SECONDS = Number(argStr('seconds', SMOKE ? '1' : '8'));
const WARM = Number(argStr('warm', SMOKE ? '0.5' : '2'));
const OUT = argStr('out', SMOKE ? null : path.join(ROOT, 'docs/bench'));
const SAMPLE = 20_000;
const PROVIDER = 'ca.ircc';
const CONSUMER = 'ca.esdc';
const PURPOSE = 'JOB_MATCHING';
const FIELDS = ['claimStatus', 'claimDate', 'province', 'workPermitExpiry', 'nocCode', 'sector', 'frenchLevel'];
const QUERY = 'query C($p: String!) { claimant(pseudonym: $p) { pseudonym claimStatus claimDate province workPermitExpiry nocCode sector frenchLevel } }';
const PROVINCES = ['QC', 'ON', 'BC', 'AB', 'MB'];
const SECTORS = ['HEALTH_CARE', 'SOCIAL_ASSISTANCE', 'FOOD_SERVICES', 'SECURITY', 'OTHER'];
const NOCS = ['33102', '64410', '65201', '65310', '13110'];
const arr = (a) => `ARRAY[${a.map((x) => `'${x}'`).join(',')}]`;
const log = (m) => process.stderr.write(`bench trust-scale: ${m}\n`);

/**
 * The internal id of generated claimant g, as the SQL below makes it: 16 bytes in base64url, as
 * the gateway's own ids (a pseudonym carries those 16 bytes, so any other spelling would not
 * come back from the consumer's pseudonym).
 */
const SUBJECT_SQL = `'i_' || translate(rtrim(encode(substr(sha256(('trust-scale-' || g)::bytea), 1, 16), 'base64'), '='), '+/', '-_')`;
const subjectOf = (g) => `i_${crypto.createHash('sha256').update(`trust-scale-${g}`).digest().subarray(0, 16).toString('base64url')}`;

/** Claimants g = from+1 … to of the provider, with a JOB_MATCHING consent to the consumer each. */
async function generate(url, from, to) {
  const t0 = performance.now();
  await queryAsOwner(
    url,
    `INSERT INTO claimant_records (subject, provider, claim_status, claim_date, province, work_permit_expiry, noc_code, sector, french_level, version, supplied_at, supplied_by_kid)
     SELECT ${SUBJECT_SQL}, '${PROVIDER}', 'PENDING', date '2020-05-01', (${arr(PROVINCES)})[1 + g % 5], date '2027-03-31',
            (${arr(NOCS)})[1 + g % 5], (${arr(SECTORS)})[1 + g % 5], 1 + g % 12, 1, now() - interval '1 day', 'bench'
       FROM generate_series($1::int + 1, $2::int) AS g`,
    [from, to],
  );
  await queryAsOwner(
    url,
    `INSERT INTO consents (id, subject, purpose, recipient, collected_by, valid_from, expires_at, evidence_sha256, granted_at)
     SELECT gen_random_uuid(), ${SUBJECT_SQL}, $3, $4, $5, now() - interval '1 hour', now() + interval '7 days', $6, now()
       FROM generate_series($1::int + 1, $2::int) AS g`,
    [from, to, PURPOSE, CONSUMER, PROVIDER, crypto.createHash('sha256').update('bench consent form').digest('base64url')],
  );
  // As autovacuum would shortly after a bulk load (see bench/scale.js): visibility map set.
  await queryAsOwner(url, 'VACUUM ANALYZE');
  log(`generated claimants ${from + 1}..${to} with consents in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** Up to SAMPLE of the first `size` claimants, spread evenly, as the consumer's pseudonyms. */
function pseudonymsOf(keyring, size) {
  const n = Math.min(size, SAMPLE);
  return Array.from({ length: n }, (_, i) => toAgencyPseudonym(keyring, CONSUMER, subjectOf(1 + Math.floor((i * size) / n))));
}

const label = (n) => (n >= 1000 && Number.isInteger(Math.log10(n)) ? `1e${Math.log10(n)}` : String(n));

async function main() {
  const started = [];
  const db = await createTestDatabase('bench_trust_scale');
  const registry = await createTestRegistry({
    agencies: [
      { id: PROVIDER, roles: ['PROVIDER'] },
      { id: CONSUMER, roles: ['CONSUMER'] },
    ],
    agreements: [{ id: 'dsa-ircc-esdc-bench', provider: PROVIDER, consumer: CONSUMER, purposes: [PURPOSE], fields: FIELDS, validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 'benchmark' }],
    consentRequiredFor: [PURPOSE],
  });
  const secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-trust-scale-'));
  let loader;
  try {
    const keyring = await loadPseudonymKeyring(secretsDir);
    const caPort = await freePort();
    const gwPort = await freePort();
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
    const gw = startProcess('gateway', path.join(ROOT, 'dist/apps/gateway/main.js'), { ...common, GATEWAY_PORT: String(gwPort) });
    started.push(gw);
    await waitFor(gw, () => httpUp(`http://127.0.0.1:${gwPort}/.well-known/jwks.json`), 'HTTP');
    const url = `http://127.0.0.1:${gwPort}`;
    const key = registry.activeKey(CONSUMER);

    const figures = {};
    const byConcurrency = [];
    const bySize = [];
    let have = 0;
    for (const [i, size] of SIZES.entries()) {
      await generate(db.url, have, size);
      have = size;
      const pseudonyms = pseudonymsOf(keyring, size);
      const check = await registry.client(CONSUMER, url).graphql(QUERY, { p: pseudonyms[pseudonyms.length - 1] }, PURPOSE);
      if (!check.json?.data?.claimant?.nocCode || check.auditSeq === undefined) throw new Error(`gateway check failed at ${size} claimants: HTTP ${check.status} ${check.body.slice(0, 400)}`);
      loader = await startLoader(secretsDir, { privateJwk: key.privateJwk, kid: key.kid, agency: CONSUMER, gatewayId: registry.document.gatewayId, purpose: PURPOSE, query: QUERY, pseudonyms }, log);
      const points = i === 0 ? [...new Set([...CONCURRENCY, SIZE_CONCURRENCY])].sort((a, b) => a - b) : [SIZE_CONCURRENCY];
      for (const c of points) {
        const r = await loader.measure(`${size} claimants, ${c} in flight`, url, { warmSeconds: WARM, seconds: SECONDS, concurrency: c, unique: true, expectRps: SMOKE ? 500 : 4000 });
        if (i === 0 && CONCURRENCY.includes(c)) {
          byConcurrency.push({ concurrency: c, rps: r.rps, p99Ms: r.p99Ms });
          figures[`rpsAt${c}InFlight`] = r.rps;
          figures[`p99MsAt${c}InFlight`] = r.p99Ms;
        }
        if (c === SIZE_CONCURRENCY) {
          bySize.push({ claimants: size, rps: r.rps, p99Ms: r.p99Ms });
          figures[`rpsAt${label(size)}Claimants`] = r.rps;
          figures[`p99MsAt${label(size)}Claimants`] = r.p99Ms;
        }
      }
      loader.close();
      loader = undefined;
    }

    const dir = OUT ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-trust-scale-svg-'));
    fs.mkdirSync(dir, { recursive: true });
    const note = `${os.availableParallelism()} cores, load average ${os.loadavg()[0].toFixed(1)}`;
    fs.writeFileSync(
      path.join(dir, 'trust-scale-concurrency.svg'),
      lineChart({
        title: `Signed, consented, audited claimant reads at ${SIZES[0].toLocaleString('en-US')} claimants (${note})`,
        xLabel: 'requests in flight',
        xTicks: byConcurrency.map((p) => p.concurrency),
        left: { label: 'reads/s', unit: '/s', points: byConcurrency.map((p) => [p.concurrency, p.rps]) },
        right: { label: 'p99', unit: 'ms', points: byConcurrency.map((p) => [p.concurrency, p.p99Ms]) },
      }),
    );
    fs.writeFileSync(
      path.join(dir, 'trust-scale-claimants.svg'),
      lineChart({
        title: `Signed, consented, audited claimant reads at ${SIZE_CONCURRENCY} in flight (${note})`,
        xLabel: 'claimants stored',
        xTicks: bySize.map((p) => p.claimants),
        left: { label: 'reads/s', unit: '/s', points: bySize.map((p) => [p.claimants, p.rps]) },
        right: { label: 'p99', unit: 'ms', points: bySize.map((p) => [p.claimants, p.p99Ms]) },
      }),
    );
    if (!OUT) fs.rmSync(dir, { recursive: true, force: true });
    else log(`curves written to ${path.relative(ROOT, dir)}/trust-scale-{concurrency,claimants}.svg`);
    figures.seconds = SECONDS;
    figures.loadAvg1mAtEnd = +os.loadavg()[0].toFixed(2);
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    loader?.kill();
    for (const p of started.reverse()) await p.stop();
    await db.drop();
    await registry.cleanup();
    fs.rmSync(secretsDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench trust-scale: ${e.stack || e}\n`);
  process.exit(1);
});
