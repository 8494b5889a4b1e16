#!/usr/bin/env node
/**
 * Load generator of bench/trust.js: a SEPARATE process (forked by trust.js, never inside a
 * server) that signs every request ahead of time (Ed25519, one unique jti each, docs/contract.md §3)
 * and then keeps `concurrency` requests in flight over keep-alive HTTP/1.1 connections for a
 * warm-up and a fixed measuring time. Talks to its parent over IPC:
 *   ← {cmd:'run', url, warmSeconds, seconds, concurrency, unique, expectRps, latencies}
 *   → {measuring: true} when the measuring time starts, then
 *   → {rps, p50Ms, p99Ms, p999Ms, completed, errors, firstError, inlineSigned, presigned, elapsed}
 *     (+ `latencies`, every completed request's in ms, when asked)
 * With `unique` every request carries a jti never sent before (the full gateway refuses a
 * replay); the pre-signed stock is sized from `expectRps` and topped up inline (counted) if a
 * server outruns it. Without `unique` a stock of 20,000 is cycled (trust-off and bare servers
 * do not look at the signature).
 */
'use strict';
const crypto = require('node:crypto');
const { Pool } = require('undici');
const { performance } = require('node:perf_hooks');
const { latencyFigures } = require('./lib/windows');

const cfg = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8')); // a temp file: too big for argv
const key = crypto.createPrivateKey({ key: cfg.privateJwk, format: 'jwk' });
const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: cfg.kid, typ: 'agency-request+jwt' })).toString('base64url');
const sha = (b) => crypto.createHash('sha256').update(b).digest('base64url');
let n = 0;

function signOne() {
  const pseudonym = cfg.pseudonyms[n % cfg.pseudonyms.length];
  n++;
  const body = Buffer.from(JSON.stringify({ query: cfg.query, variables: { p: pseudonym } }));
  const iat = Math.floor(Date.now() / 1000);
  const claims = {
    iss: cfg.agency,
    aud: cfg.gatewayId,
    iat,
    exp: iat + 300,
    jti: `${crypto.randomBytes(12).toString('base64url')}${n.toString(36)}`,
    htm: 'POST',
    htu: '/graphql',
    purpose: cfg.purpose,
    body_sha256: sha(body),
  };
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const jws = `${input}.${crypto.sign(null, Buffer.from(input), key).toString('base64url')}`;
  return { body, headers: { 'content-type': 'application/json', 'content-length': String(body.length), 'x-agency-signature': jws } };
}

async function run({ url, warmSeconds, seconds, concurrency, unique, expectRps, latencies = false }) {
  const stock = [];
  const want = unique ? Math.ceil(expectRps * (warmSeconds + seconds) * 1.2) : 20_000;
  for (let i = 0; i < want; i++) stock.push(signOne());
  let next = 0;
  let inlineSigned = 0;
  const take = () => {
    if (next < stock.length) {
      const r = stock[next];
      if (unique) stock[next] = undefined; // let it go
      next++;
      if (!unique && next === stock.length) next = 0;
      return r;
    }
    inlineSigned++;
    return signOne();
  };
  // undici, not node:http: the client shares the 2 cores with the servers it measures, and
  // node:http's client cost ≈ 300 µs of this process's CPU per request (a third of a core at
  // 1,100 reads/s), undici's a fraction of that (bench/notes.md, trust).
  const pool = new Pool(new URL(url).origin, { connections: concurrency, pipelining: 1 });
  const send = async (r) => {
    try {
      const res = await pool.request({ path: '/graphql', method: 'POST', headers: r.headers, body: r.body });
      const text = await res.body.text();
      return res.statusCode === 200 && text.startsWith('{"data":{"claimant":{') && !text.includes('"errors"') ? null : `HTTP ${res.statusCode} ${text.slice(0, 200)}`;
    } catch (e) {
      return e.message;
    }
  };

  let measuring = false;
  let stop = false;
  const lat = [];
  let errors = 0;
  let firstError = null;
  let completed = 0;
  const loop = async () => {
    while (!stop) {
      const r = take();
      const t = performance.now();
      const err = await send(r);
      if (!measuring) continue;
      if (err) {
        errors++;
        firstError ??= err;
      } else {
        completed++;
        lat.push(performance.now() - t);
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  await new Promise((r) => setTimeout(r, warmSeconds * 1000));
  measuring = true;
  process.send({ measuring: true }); // the parent samples every process's CPU time now and at the end
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(loops);
  await pool.close();
  lat.sort((a, b) => a - b);
  return {
    rps: Math.round(completed / elapsed),
    ...latencyFigures(lat),
    completed,
    errors,
    firstError,
    inlineSigned,
    presigned: want,
    elapsed,
    // for a parent that pools several windows of one server (bench/trust.js, interleaved rounds)
    ...(latencies ? { latencies: lat.map((x) => Math.round(x * 100) / 100) } : {}),
  };
}

process.on('message', (m) => {
  if (m.cmd === 'run') run(m).then((r) => process.send(r), (e) => process.send({ error: e.stack || String(e) }));
  if (m.cmd === 'exit') process.exit(0);
});
process.send({ ready: true });
