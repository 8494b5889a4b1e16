#!/usr/bin/env node
/**
 * Claimant records benchmark (plain Node; not part of npm test). Prints one JSON object.
 *
 *   DATABASE_URL=postgres://root@127.0.0.1:5432/test KAFKA_BROKERS=127.0.0.1:9092 node bench/claimants.js [--records 100000] [--batch 10000]
 *   (BENCH_SMOKE=1: 10,000 records)
 *
 * Needs the built apps (`npm run build`). On a scratch database (dropped at the end), with the
 * real consent-audit and gateway processes of test/claimants/harness.ts:
 * 1. bulk submission: N records (all fields) sent by one provider through signed
 *    `submitClaimants` calls of `batch` records, one after the other: records/s end to end
 *    (signature, validation, internal ids, one upsert statement per batch, ledger entry, signed answer);
 * 2. the same N records resubmitted unchanged (the idempotent path: no write);
 * 3. pseudonyms derived per second, in process: client id → internal id, internal id → agency
 *    pseudonym, and agency pseudonym → internal id (the translation every read does);
 * 4. latency of a filtered `claimants` page of 500 over the N stored records (median of 20).
 */
'use strict';
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const { installTs, ROOT } = require('./lib/ts');
installTs();

const { createClaimantsWorld } = require(path.join(ROOT, 'test/claimants/harness.ts'));
const { testKeyring, toInternalId, toAgencyPseudonym, fromAgencyPseudonym } = require(path.join(ROOT, 'libs/crypto/src/pseudonyms.ts'));

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RECORDS = arg('records', process.env.BENCH_SMOKE === '1' ? 10_000 : 100_000);
const BATCH = arg('batch', 10_000);
const SUBMIT = 'mutation S($records: [ClaimantInput!]!) { submitClaimants(records: $records) { accepted { index } rejected { index reason } } }';
const PAGE = 'query P($f: ClaimantFilterInput) { claimants(filter: $f, first: 500) { nodes { pseudonym sector healthCareHours nocCode } pageInfo { hasNextPage } } }';
const SECTORS = ['HEALTH_CARE', 'HEALTH_CARE', 'SOCIAL_ASSISTANCE', 'FOOD_SERVICES', 'SECURITY', 'OTHER'];
const NOCS = ['33102', '64410', '65201', '65310', '13110'];

function record(i, run) {
  return {
    clientId: `BENCH-${run}-${i}`,
    claimStatus: 'PENDING',
    claimDate: '2020-05-01',
    province: 'QC',
    workPermitExpiry: '2027-03-31',
    nocCode: NOCS[i % NOCS.length],
    sector: SECTORS[i % SECTORS.length],
    healthCareHours: (i * 7) % 2000,
    hoursPeriodStart: '2020-03-13',
    hoursPeriodEnd: '2021-03-12',
    frenchLevel: 1 + (i % 12),
  };
}

async function submitAll(client, run) {
  const t0 = performance.now();
  for (let start = 0; start < RECORDS; start += BATCH) {
    const records = [];
    for (let i = start; i < Math.min(RECORDS, start + BATCH); i++) records.push(record(i, run));
    const res = await client.graphql(SUBMIT, { records }, 'PROVISION');
    const out = res.json && res.json.data && res.json.data.submitClaimants;
    if (!out || out.accepted.length !== records.length) throw new Error(`batch at ${start} failed: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  }
  return RECORDS / ((performance.now() - t0) / 1000);
}

function rate(fn, ms = 1500) {
  let n = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) fn(n + i);
    n += 200;
  }
  return n / ((performance.now() - t0) / 1000);
}

function pseudonymRates() {
  const keyring = testKeyring(7);
  const internal = toInternalId(keyring, 'UCI-0000-0001');
  const pseudonym = toAgencyPseudonym(keyring, 'ca.esdc', internal);
  return {
    internalIdsPerSec: rate((i) => toInternalId(keyring, `UCI-${i}`)),
    agencyPseudonymsPerSec: rate(() => toAgencyPseudonym(keyring, 'ca.esdc', internal)),
    translationsPerSec: rate(() => fromAgencyPseudonym(keyring, 'ca.esdc', pseudonym)),
  };
}

async function pageLatency(client) {
  const times = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const res = await client.graphql(PAGE, { f: { sector: 'HEALTH_CARE', healthCareHoursAtLeast: 1000 } }, 'PROGRAM_ELIGIBILITY');
    if (!res.json || !res.json.data) throw new Error(`claimants failed: ${res.body.slice(0, 300)}`);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length / 2)], max: times[times.length - 1] };
}

async function main() {
  const world = await createClaimantsWorld();
  try {
    const msss = world.client('qc.msss');
    const run = Date.now().toString(36);
    const submitRecordsPerSec = await submitAll(msss, run);
    const resubmitUnchangedRecordsPerSec = await submitAll(msss, run);
    const page = await pageLatency(world.client('ca.esdc'));
    const out = {
      records: RECORDS,
      batch: BATCH,
      submitRecordsPerSec,
      resubmitUnchangedRecordsPerSec,
      ...pseudonymRates(),
      claimantsPage500P50Ms: page.p50,
      claimantsPage500MaxMs: page.max,
    };
    process.stdout.write(JSON.stringify(out) + '\n');
  } finally {
    await world.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`bench claimants: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
