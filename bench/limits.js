'use strict';
/**
 * The ceilings the other figures are read against, on this machine: Ed25519 and ES256
 * verifications/s, SHA-256 hashes/s of a 300-byte entry, PostgreSQL single-row commits/s.
 * Prints one JSON object. Needs DATABASE_URL for the commit figure.
 *
 * Each ceiling is also given as a share of what it was on 2026-11-23, the run issue 15's absolute
 * targets were written against (`…VsTargetsDay`, 1 = as fast): a box that got slower (it is shared
 * with other engineers' machines) moves every absolute figure, and the ratios say by how much.
 */
const crypto = require('node:crypto');
const { Client } = require('pg');

const SMOKE = process.env.BENCH_SMOKE === '1';

/** The same ceilings in BENCHMARKS.md's run of 2026-11-23 (medians of 3). */
const TARGETS_DAY = { ed25519VerifiesPerSec: 12_037, es256VerifiesPerSec: 16_170, sha256Of300BytesPerSec: 714_926, pgSingleRowCommitsPerSec: 10_003 };

function rate(fn, ms = SMOKE ? 300 : 1500) {
  const end = performance.now() + ms;
  let n = 0;
  const t0 = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function pgCommits(url, ms = SMOKE ? 500 : 2000) {
  const c = new Client({ connectionString: url });
  await c.connect();
  await c.query('CREATE TEMP TABLE bench_commit(id serial primary key, v text)');
  const end = Date.now() + ms;
  let n = 0;
  const t0 = Date.now();
  while (Date.now() < end) {
    await c.query("INSERT INTO bench_commit(v) VALUES ('x')"); // autocommit: one fsync'd commit each
    n++;
  }
  await c.end();
  return n / ((Date.now() - t0) / 1000);
}

async function main() {
  const msg = crypto.randomBytes(300);
  const ed = crypto.generateKeyPairSync('ed25519');
  const edSig = crypto.sign(null, msg, ed.privateKey);
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecSig = crypto.sign('sha256', msg, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' });
  const out = {
    ed25519VerifiesPerSec: rate(() => crypto.verify(null, msg, ed.publicKey, edSig)),
    es256VerifiesPerSec: rate(() => crypto.verify('sha256', msg, { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, ecSig)),
    sha256Of300BytesPerSec: rate(() => crypto.createHash('sha256').update(msg).digest()),
  };
  if (process.env.DATABASE_URL) out.pgSingleRowCommitsPerSec = await pgCommits(process.env.DATABASE_URL);
  for (const [name, then] of Object.entries(TARGETS_DAY)) {
    if (out[name] !== undefined) out[`${name.replace(/PerSec$/, '')}VsTargetsDay`] = out[name] / then;
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench limits: ${e.message}\n`);
  process.exit(1);
});
