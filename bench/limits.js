'use strict';
/**
 * The ceilings the other figures are read against, on this machine: Ed25519 and ES256
 * verifications/s, SHA-256 hashes/s of a 300-byte entry, PostgreSQL single-row commits/s.
 * Prints one JSON object. Needs DATABASE_URL for the commit figure.
 */
const crypto = require('node:crypto');
const { Client } = require('pg');

const SMOKE = process.env.BENCH_SMOKE === '1';

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
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench limits: ${e.message}\n`);
  process.exit(1);
});
