#!/usr/bin/env node
/**
 * Programs and statistics benchmark (plain Node; not part of npm test). Prints one JSON object.
 *
 *   DATABASE_URL=postgres://root@127.0.0.1:5432/test node bench/programs.js [--claimants 100000] [--population 1000000]
 *
 * 1. the pure evaluator: evaluations per second of the three reference programs over 100,000
 *    in-memory claimants;
 * 2. through the database: eligibility evaluations per second reading 100,000 stored claimants
 *    from claimant_records in pages of 1,000 (the Decide call of the gateway is not included);
 * 3. statistics: latency of the protected statistics queries over 1,000,000 stored claimants
 *    (`statisticsSnapshotLoadMs`: the first read of claimant_merged into the gateway's copy;
 *    `statisticsQuery3AfterWriteMs`: query 3 again after 1,000 claimants changed, step 4)
 *    (rows generated with generate_series in a scratch database, dropped at the end);
 * 4. the empty-spots counts (issue 17) over the same 1,000,000 claimants, as the gateway computes
 *    them (release lock, snapshot version check, history, audit, record): the snapshot's first
 *    read (`spotsSnapshotLoadMs`, paid again only after a write to the tables it reads), then
 *    eligibleNotApplied (one audited release grouped by province, noc, claimStatus) and
 *    simulateRule (before/after, four tables audited together, after that release), each a
 *    question not asked before; then 1,000 subjects' records are changed and the snapshot is
 *    brought current (`spotsIncrementalRefreshMs`: only those subjects read again and patched in).
 *
 *   --smoke (or BENCH_SMOKE=1): 20,000 claimants, a few seconds.
 */
'use strict';
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { Client } = require('pg');

// Load the TypeScript sources directly (the same code the gateway runs).
const { installTs, ROOT } = require('./lib/ts');
installTs();
const policy = require(path.join(ROOT, 'libs/policy/src/programs/index.ts'));
const statistics = require(path.join(ROOT, 'libs/policy/src/statistics/index.ts'));
const { runMigrations } = require(path.join(ROOT, 'libs/persistence/src/migrate.ts'));
const { StatisticsRepository } = require(path.join(ROOT, 'apps/gateway/src/statistics/statistics.repository.ts'));
const { EmptySpotsRepository } = require(path.join(ROOT, 'apps/gateway/src/programs/empty-spots.repository.ts'));
const { SpotsSnapshots } = require(path.join(ROOT, 'apps/gateway/src/programs/spots-snapshots.ts'));

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const SMOKE = process.env.BENCH_SMOKE === '1' || process.argv.includes('--smoke');
const CLAIMANTS = arg('claimants', SMOKE ? 10_000 : 100_000);
const POPULATION = arg('population', SMOKE ? 20_000 : 1_000_000);
const ADMIN_URL = process.env.DATABASE_URL || 'postgres://root@127.0.0.1:5432/test';

const STATUSES = ['PENDING', 'ACCEPTED', 'REJECTED', 'APPEAL_PENDING', 'WITHDRAWN'];
const PROVINCES = ['QC', 'QC', 'QC', 'ON', 'ON', 'BC', 'AB', 'MB', 'NS', 'NB', 'SK', 'NL', 'PE', 'YT', 'NT', 'NU'];
const NOCS = ['33102', '64410', '65201', '65310', '13110', '31301', '32101', '44101', '75110', '94141'];
const SECTORS = ['HEALTH_CARE', 'HEALTH_CARE', 'SOCIAL_ASSISTANCE', 'FOOD_SERVICES', 'SECURITY', 'CLEANING_MAINTENANCE', 'ADMINISTRATION', 'CONSTRUCTION', 'MANUFACTURING', 'OTHER'];

function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function timeIt(fn) {
  const t = performance.now();
  const r = fn();
  return { ms: performance.now() - t, r };
}

async function timeAsync(fn) {
  const t = performance.now();
  const r = await fn();
  return { ms: performance.now() - t, r };
}

function pureBench() {
  const rand = rng(42);
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const views = Array.from({ length: CLAIMANTS }, () => ({
    claimStatus: pick(STATUSES),
    province: pick(PROVINCES),
    workPermitExpiry: `202${Math.floor(rand() * 9)}-0${1 + Math.floor(rand() * 9)}-15`,
    nocCode: pick(NOCS),
    sector: pick(SECTORS),
    healthCareHours: rand() < 0.8 ? { hours: Math.floor(rand() * 2500), periodStart: '2020-03-20', periodEnd: '2020-08-01' } : null,
    frenchLevel: rand() < 0.9 ? 1 + Math.floor(rand() * 12) : null,
  }));
  const at = new Date();
  for (const v of views.slice(0, 2000)) for (const p of policy.REFERENCE_PROGRAMS) policy.evaluateProgram(p, v, at); // warm-up
  const outcomes = {};
  const { ms } = timeIt(() => {
    for (const v of views) {
      for (const p of policy.REFERENCE_PROGRAMS) {
        const o = policy.evaluateProgram(p, v, at).outcome;
        outcomes[o] = (outcomes[o] || 0) + 1;
      }
    }
  });
  const evaluations = views.length * policy.REFERENCE_PROGRAMS.length;
  return { claimants: views.length, programs: policy.REFERENCE_PROGRAMS.length, evaluations, ms: Math.round(ms), evaluationsPerSecond: Math.round(evaluations / (ms / 1000)), outcomes };
}

/**
 * A scratch database, dropped at the end; except for the full-size population (not smoke),
 * generated ONCE into bench_cache_programs_<population> and reused by the later runs of the same
 * `npm run bench` (which drops bench_cache_* databases when it ends).
 */
async function withScratchDatabase(fn) {
  const cached = !SMOKE && POPULATION >= 1_000_000;
  const name = cached ? `bench_cache_programs_${POPULATION}` : `bench_programs_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount > 0;
  if (!exists) await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    if (!cached) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

const arr = (a) => `ARRAY[${a.map((x) => `'${x}'`).join(',')}]`;

async function generate(client, n) {
  // One msss record per claimant; ircc holds a (newer) province for every fifth one, so the
  // multi-provider merge path is exercised too.
  await client.query(`
    INSERT INTO claimant_records (subject, provider, claim_status, province, work_permit_expiry, noc_code, sector,
                                  health_care_hours, hours_period_start, hours_period_end, french_level, version, supplied_at, supplied_by_kid)
    SELECT 'i_' || translate(substr(encode(sha256(g::text::bytea), 'base64'), 1, 22), '+/', '-_'), 'qc.msss',
           (${arr(STATUSES)})[1 + g % 5], (${arr(PROVINCES)})[1 + (g * 7) % ${PROVINCES.length}],
           date '2024-01-01' + (g % 1500), (${arr(NOCS)})[1 + (g * 3) % ${NOCS.length}], (${arr(SECTORS)})[1 + (g * 11) % ${SECTORS.length}],
           CASE WHEN g % 5 = 0 THEN NULL ELSE (g * 13) % 2500 END,
           CASE WHEN g % 5 = 0 THEN NULL ELSE date '2020-03-20' END,
           CASE WHEN g % 5 = 0 THEN NULL ELSE date '2020-08-01' END,
           CASE WHEN g % 10 = 0 THEN NULL ELSE 1 + g % 12 END,
           1, now() - interval '1 day', 'bench'
    FROM generate_series(1, $1) AS g`, [n]);
  await client.query(`
    INSERT INTO claimant_records (subject, provider, province, version, supplied_at, supplied_by_kid)
    SELECT subject, 'ca.ircc', 'ON', 1, now(), 'bench' FROM claimant_records WHERE provider = 'qc.msss' AND hashtext(subject) % 5 = 0`);
  await client.query('ANALYZE claimant_records');
}

function toView(r) {
  return {
    claimStatus: r.claim_status,
    province: r.province,
    workPermitExpiry: r.work_permit_expiry,
    nocCode: r.noc_code,
    sector: r.sector,
    healthCareHours: r.health_care_hours === null ? null : { hours: r.health_care_hours, periodStart: r.hours_period_start, periodEnd: r.hours_period_end },
    frenchLevel: r.french_level,
  };
}

async function dbBench(url) {
  await runMigrations(url);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const have = Number((await client.query(`SELECT count(*) AS n FROM claimant_records WHERE provider = 'qc.msss'`)).rows[0].n);
    const gen = await timeAsync(() => (have >= POPULATION ? Promise.resolve() : generate(client, POPULATION)));
    // Eligibility through the database: page through CLAIMANTS subjects, 1,000 at a time.
    const subjects = (await client.query(`SELECT subject FROM claimant_records WHERE provider = 'qc.msss' ORDER BY subject LIMIT $1`, [CLAIMANTS])).rows.map((r) => r.subject);
    const at = new Date();
    const program = policy.REFERENCE_PROGRAMS.find((p) => p.id === 'qc-health-asylum');
    const outcomes = {};
    const elig = await timeAsync(async () => {
      for (let i = 0; i < subjects.length; i += 1000) {
        const { rows } = await client.query(
          `SELECT subject, claim_status, province, to_char(work_permit_expiry, 'YYYY-MM-DD') AS work_permit_expiry, noc_code, sector, health_care_hours,
                  to_char(hours_period_start, 'YYYY-MM-DD') AS hours_period_start, to_char(hours_period_end, 'YYYY-MM-DD') AS hours_period_end, french_level
             FROM claimant_records WHERE subject = ANY($1::text[]) AND provider = 'qc.msss'`,
          [subjects.slice(i, i + 1000)],
        );
        for (const r of rows) {
          const o = policy.evaluateProgram(program, toView(r), at).outcome;
          outcomes[o] = (outcomes[o] || 0) + 1;
        }
      }
    });

    // Statistics over the whole population, through the gateway's repository and protection.
    const { createDataSource } = require(path.join(ROOT, 'libs/persistence/src/data-source.ts'));
    const ds = await createDataSource({ url, asAppRole: true, poolSize: 2, applicationName: 'bench' }).initialize();
    const repo = new StatisticsRepository(ds);
    // The first count reads claimant_merged into the gateway's copy (cold); the queries below
    // then bring it current (one statement when nothing changed) and count in memory.
    const statsLoad = await timeAsync(() => repo.snapshot.current());
    const queries = [
      { name: 'groupBy province (one provider)', groupBy: 'province', filter: null, providers: ['qc.msss'] },
      { name: 'groupBy nocCode filter province=QC (one provider)', groupBy: 'nocCode', filter: { dimension: 'province', value: 'QC' }, providers: ['qc.msss'] },
      { name: 'groupBy frenchBand filter sector=HEALTH_CARE (two providers, merged)', groupBy: 'frenchBand', filter: { dimension: 'sector', value: 'HEALTH_CARE' }, providers: ['ca.ircc', 'qc.msss'] },
      { name: 'groupBy nocCode filter province=PE (two providers, merged)', groupBy: 'nocCode', filter: { dimension: 'province', value: 'PE' }, providers: ['ca.ircc', 'qc.msss'] },
    ];
    const stats = [];
    for (const q of queries) {
      const runs = [];
      let answer;
      for (let i = 0; i < 3; i++) {
        const { ms, r } = await timeAsync(async () => {
          const counts = await repo.counts(q.groupBy, q.filter ? q.filter.dimension : null, { groupBy: q.providers, by: q.providers });
          return q.filter ? statistics.protectedSlice(q.groupBy, q.filter, counts) : statistics.protectedOneWay(counts);
        });
        runs.push(ms);
        answer = r;
      }
      runs.sort((a, b) => a - b);
      stats.push({ query: q.name, medianMs: Math.round(runs[1]), minMs: Math.round(runs[0]), cells: answer.cells.length, suppressedCells: answer.suppressedCells });
    }
    const spots = await spotsBench(ds);
    // spotsBench changed 1,000 claimants' records: the next count re-reads only those.
    const q3 = queries[2];
    const afterWrite = await timeAsync(() => repo.counts(q3.groupBy, q3.filter.dimension, { groupBy: q3.providers, by: q3.providers }));
    const statsRefresh = repo.snapshot.lastRefresh;
    await ds.destroy();
    return {
      spots,
      population: POPULATION,
      generateMs: Math.round(gen.ms),
      eligibilityThroughDatabase: { claimants: subjects.length, program: program.id, ms: Math.round(elig.ms), evaluationsPerSecond: Math.round(subjects.length / (elig.ms / 1000)), outcomes },
      statistics: stats,
      statisticsSnapshot: { loadMs: Math.round(statsLoad.ms), query3AfterWriteMs: Math.round(afterWrite.ms), refreshAfterWrite: statsRefresh },
    };
  } finally {
    await client.end();
  }
}

/**
 * eligibleNotApplied and simulateRule as the gateway runs them, on the whole stored population:
 * under the agency's release lock, the population from the gateway's snapshot (SpotsSnapshots:
 * version check, then the cached columnar population), the agency's history, the audited
 * release, and the record of what it published. The snapshot's first read (cold) is timed on
 * its own; the figures are the next calls, each asking a question not asked before (its counts
 * are computed, not remembered), then the same calls repeated.
 */
async function spotsBench(ds) {
  const repo = new EmptySpotsRepository(ds);
  const snapshots = new SpotsSnapshots(repo);
  const all = ['ca.ircc', 'qc.msss'];
  const providers = { province: all, nocCode: all, claimStatus: all, sector: all, workPermitExpiry: all, frenchLevel: all, healthCareHours: all };
  const program = policy.REFERENCE_PROGRAMS.find((p) => p.id === 'guardian-angels-2020');
  const stream = policy.programStreams(program)[0];
  const groupBy = ['province', 'noc', 'claimStatus'];
  const changed = policy.applyRuleChange(program, stream.id, { set: [{ name: 'pandemic-hours', kind: 'hoursAtLeast', hours: 60, from: '2020-03-13', to: '2020-08-14' }] });
  const after = policy.programStreams(changed)[0];
  const tables = ['notApplied', 'eligible'];
  // What the gateway does per call (programs.service.ts#releaseCounts), for one agency.
  const release = (agency, operation, queries) =>
    repo.underReleaseLock(agency, async (m) => {
      const population = await snapshots.population(m, program.id, providers);
      const history = await repo.history(m, agency);
      const out = policy.releaseSpots(population, new Date(), history, queries);
      await repo.record(m, agency, program.id, stream.id, { operation }, out.released);
      return { out, size: population.size };
    });
  const ena = [{ conditions: stream.conditions, groupBy, tables: ['notApplied'] }];
  const sim = [
    { conditions: stream.conditions, groupBy, tables },
    { conditions: after.conditions, groupBy, tables },
  ];
  const run = Date.now().toString(36);
  const load = await timeAsync(() => repo.underReleaseLock(`bench-${run}-load`, (m) => snapshots.population(m, program.id, providers)));
  const cells = (t) => ({ cells: t.length, suppressed: t.filter((c) => c.suppressed).length });
  const first = { ena: await timeAsync(() => release(`bench-${run}-0`, 'eligibleNotApplied', ena)) };
  first.sim = await timeAsync(() => release(`bench-${run}-0`, 'simulateRule', sim));
  const repeats = { ena: [], sim: [] };
  for (let i = 1; i <= 3; i++) {
    repeats.ena.push((await timeAsync(() => release(`bench-${run}-${i}`, 'eligibleNotApplied', ena))).ms);
    repeats.sim.push((await timeAsync(() => release(`bench-${run}-${i}`, 'simulateRule', sim))).ms);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  // A small write (1,000 subjects' records changed, as submissions would), then the snapshot
  // brought current: only those subjects read again and patched in (migration 1795571000000).
  const written = SMOKE ? 100 : 1000;
  await ds.query(
    `UPDATE claimant_records SET french_level = 1 + coalesce(french_level, 0) % 12, supplied_at = now()
      WHERE provider = 'qc.msss' AND subject IN (SELECT subject FROM claimant_records WHERE provider = 'qc.msss' ORDER BY md5(subject || $2) LIMIT $1)`,
    [written, run],
  );
  const refresh = await timeAsync(() => repo.underReleaseLock(`bench-${run}-refresh`, (m) => snapshots.population(m, program.id, providers)));
  const refreshKind = snapshots.lastRefresh;
  const afterRefresh = await timeAsync(() => release(`bench-${run}-4`, 'eligibleNotApplied', ena));
  return {
    claimants: first.ena.r.size,
    snapshotLoadMs: Math.round(load.ms),
    incrementalRefresh: { subjectsChanged: written, kind: refreshKind, ms: Math.round(refresh.ms), eligibleNotAppliedAfterMs: Math.round(afterRefresh.ms) },
    eligibleNotApplied: { ms: Math.round(first.ena.ms), repeatMedianMs: Math.round(median(repeats.ena)), ...cells(first.ena.r.out.answers[0][0]), complementary: first.ena.r.out.complementary },
    simulateRule: { change: 'pandemic-hours 120 -> 60', ms: Math.round(first.sim.ms), repeatMedianMs: Math.round(median(repeats.sim)), ...cells(first.sim.r.out.answers[1][0]), complementary: first.sim.r.out.complementary },
  };
}

(async () => {
  const pure = pureBench();
  const db = await withScratchDatabase(dbBench);
  // Details to stderr; the harness reads ONE line of numeric figures from the last stdout line.
  process.stderr.write(`${JSON.stringify({ bench: 'programs', node: process.version, pureEvaluator: pure, ...db }, null, 2)}\n`);
  const figures = {
    pureEvaluationsPerSec: pure.evaluationsPerSecond,
    eligibilityThroughDatabasePerSec: db.eligibilityThroughDatabase.evaluationsPerSecond,
    population: db.population,
  };
  db.statistics.forEach((q, i) => (figures[`statisticsQuery${i + 1}Ms`] = q.medianMs));
  figures.statisticsSnapshotLoadMs = db.statisticsSnapshot.loadMs;
  figures.statisticsQuery3AfterWriteMs = db.statisticsSnapshot.query3AfterWriteMs;
  figures.spotsSnapshotLoadMs = db.spots.snapshotLoadMs;
  figures.spotsIncrementalRefreshMs = db.spots.incrementalRefresh.ms;
  figures.eligibleNotAppliedMs = db.spots.eligibleNotApplied.ms;
  figures.simulateRuleMs = db.spots.simulateRule.ms;
  figures.notes = `population ${db.population}; statistics queries: ${db.statistics.map((q, i) => `${i + 1}. ${q.query}`).join('; ')}`;
  process.stdout.write(`${JSON.stringify(figures)}\n`);
})().catch((err) => {
  process.stderr.write(`bench/programs.js failed: ${err.stack || err}\n`);
  process.exit(1);
});
