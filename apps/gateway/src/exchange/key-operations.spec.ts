import { createHmac, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { defaultKeyWorkers, KeyOperationBatcher, type KeyOperation } from './key-operations';

/** Deterministic pseudo-random bytes (property runs that replay the same way). */
const bytes = (seed: string, n: number) => {
  const out = Buffer.alloc(n);
  for (let i = 0; i * 32 < n; i++) createHmac('sha256', seed).update(String(i)).digest().copy(out, i * 32);
  return out;
};

describe('KeyOperationBatcher (the gateway key operations of one turn, one message to a worker)', () => {
  const ed = [generateKeyPairSync('ed25519'), generateKeyPairSync('ed25519'), generateKeyPairSync('ed25519')];
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  let batcher: KeyOperationBatcher;

  beforeEach(() => (batcher = new KeyOperationBatcher(1)));
  afterEach(() => batcher.close());

  const ecSign = (data: Buffer, key: KeyObject = ec.privateKey) => sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });

  it.each([1, 3])('answers as node:crypto does, each operation with its own key, many keys and kinds in one batch (%i workers)', async (workers) => {
    await batcher.close();
    batcher = new KeyOperationBatcher(workers);
    const cases: Array<{ op: KeyOperation; expected: boolean | Buffer }> = [];
    for (let i = 0; i < 120; i++) {
      const data = bytes(`d${i}`, 20 + (i % 300));
      const pair = ed[i % ed.length];
      const other = ed[(i + 1) % ed.length];
      switch (i % 6) {
        case 0: // a good Ed25519 signature
          cases.push({ op: { kind: 'verify', alg: 'EdDSA', key: pair.publicKey, data, signature: sign(null, data, pair.privateKey) }, expected: true });
          break;
        case 1: // signed by another key of the batch
          cases.push({ op: { kind: 'verify', alg: 'EdDSA', key: pair.publicKey, data, signature: sign(null, data, other.privateKey) }, expected: false });
          break;
        case 2: {
          // one bit of the data flipped
          const signature = sign(null, data, pair.privateKey);
          const flipped = Buffer.from(data);
          flipped[i % flipped.length] ^= 1 << i % 8;
          cases.push({ op: { kind: 'verify', alg: 'EdDSA', key: pair.publicKey, data: flipped, signature }, expected: false });
          break;
        }
        case 3:
          cases.push({ op: { kind: 'verify', alg: 'ES256', key: ec.publicKey, data, signature: ecSign(data) }, expected: true });
          break;
        case 4: {
          const signature = ecSign(data);
          signature[i % 64] ^= 0x80;
          cases.push({ op: { kind: 'verify', alg: 'ES256', key: ec.publicKey, data, signature }, expected: verify('sha256', data, { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, signature) });
          break;
        }
        default: // Ed25519 is deterministic: the worker's signature is node:crypto's, byte for byte
          cases.push({ op: { kind: 'sign', key: pair.privateKey, data }, expected: sign(null, data, pair.privateKey) });
      }
    }
    const answers = await Promise.all(cases.map((c) => batcher.run(c.op)));
    answers.forEach((a, i) => expect({ i, a }).toEqual({ i, a: cases[i].expected }));
  });

  it('sends the operations of one turn as one message, and the next turn as another', async () => {
    const posted = jest.spyOn(Worker.prototype, 'postMessage');
    try {
      const data = Buffer.from('one turn');
      const signature = sign(null, data, ed[0].privateKey);
      const turn = () => Array.from({ length: 40 }, () => batcher.run({ kind: 'verify', alg: 'EdDSA', key: ed[0].publicKey, data, signature }));
      const first = turn();
      await new Promise((r) => setImmediate(r));
      expect(batcher.inFlight).toBe(40);
      expect(posted).toHaveBeenCalledTimes(1);
      expect(await Promise.all(first)).toEqual(Array(40).fill(true));
      expect(await Promise.all(turn())).toEqual(Array(40).fill(true));
      expect(posted).toHaveBeenCalledTimes(2);
      expect(batcher.inFlight).toBe(0);
    } finally {
      posted.mockRestore();
    }
  });

  it('splits a turn over its workers: one message each, none for a worker the turn does not need', async () => {
    await batcher.close();
    batcher = new KeyOperationBatcher(3);
    const posted = jest.spyOn(Worker.prototype, 'postMessage');
    try {
      const data = Buffer.from('split');
      const signature = sign(null, data, ed[1].privateKey);
      const ops = (n: number) => Array.from({ length: n }, () => batcher.run({ kind: 'verify', alg: 'EdDSA', key: ed[1].publicKey, data, signature }));
      expect(await Promise.all(ops(30))).toEqual(Array(30).fill(true));
      expect(posted).toHaveBeenCalledTimes(3);
      expect(await Promise.all(ops(2))).toEqual([true, true]);
      expect(posted).toHaveBeenCalledTimes(5);
    } finally {
      posted.mockRestore();
    }
  });

  it('has one worker per core but one, at least one and at most four; refuses a count that is not one', () => {
    expect([1, 2, 3, 4, 8, 64].map((cores) => defaultKeyWorkers(cores))).toEqual([1, 1, 2, 3, 4, 4]);
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new KeyOperationBatcher(bad)).toThrow(/positive integer/);
  });

  it('refuses, never throws, a signature of the wrong length, a key of another type, or garbage', async () => {
    const data = Buffer.from('hostile');
    const good = sign(null, data, ed[0].privateKey);
    const ops: KeyOperation[] = [
      { kind: 'verify', alg: 'EdDSA', key: ed[0].publicKey, data, signature: good.subarray(0, 63) },
      { kind: 'verify', alg: 'EdDSA', key: ed[0].publicKey, data, signature: Buffer.concat([good, Buffer.from([0])]) },
      { kind: 'verify', alg: 'ES256', key: ed[0].publicKey, data, signature: good }, // an Ed25519 key asked for ES256
      { kind: 'verify', alg: 'EdDSA', key: ec.publicKey, data, signature: ecSign(data) }, // a P-256 key asked for EdDSA
      { kind: 'verify', alg: 'EdDSA', key: ed[0].publicKey, data, signature: Buffer.alloc(64) },
      { kind: 'verify', alg: 'ES256', key: ec.publicKey, data, signature: Buffer.alloc(64, 0xff) },
    ];
    expect(await Promise.all(ops.map((op) => batcher.run(op)))).toEqual(Array(ops.length).fill(false));
  });

  it('a signature the worker cannot make is made (or refused) on the pool, with node:crypto\'s own error', async () => {
    // A public key cannot sign: the worker answers null, the pool throws what node:crypto throws.
    await expect(batcher.run({ kind: 'sign', key: ed[0].publicKey, data: Buffer.from('x') })).rejects.toThrow();
    // and the batcher still works
    expect(await batcher.run({ kind: 'sign', key: ed[1].privateKey, data: Buffer.from('y') })).toEqual(sign(null, Buffer.from('y'), ed[1].privateKey));
  });

  it.each([1, 2])('a worker that stops with operations in flight loses none: they are done on the pool, and a new worker takes the next (%i workers)', async (workers) => {
    await batcher.close();
    batcher = new KeyOperationBatcher(workers);
    const data = Buffer.from('in flight');
    const signature = sign(null, data, ed[2].privateKey);
    const held = Array.from({ length: 30 }, (_, i) => batcher.run(i % 2 ? { kind: 'sign', key: ed[2].privateKey, data } : { kind: 'verify', alg: 'EdDSA', key: ed[2].publicKey, data, signature }));
    await new Promise((r) => setImmediate(r));
    expect(batcher.inFlight).toBe(30);
    await batcher.close(); // the worker is gone before it answered
    const answers = await Promise.all(held);
    answers.forEach((a, i) => expect(a).toEqual(i % 2 ? signature : true));
    expect(batcher.inFlight).toBe(0);
    expect(await batcher.run({ kind: 'verify', alg: 'EdDSA', key: ed[2].publicKey, data, signature })).toBe(true);
  });

  it('keeps a process alive while it holds operations, and lets it exit once idle', () => {
    // A script with nothing else to wait for: it must see its answer (not exit with the promise
    // pending), then exit by itself (the idle worker must not hold it).
    const root = path.resolve(__dirname, '../../../..');
    const script = `
      require(${JSON.stringify(path.join(root, 'bench/lib/ts.js'))}).installTs();
      const { keyOperations } = require(${JSON.stringify(path.join(__dirname, 'key-operations.ts'))});
      const { generateKeyPairSync, sign } = require('node:crypto');
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const data = Buffer.from('alive');
      keyOperations.run({ kind: 'verify', alg: 'EdDSA', key: publicKey, data, signature: sign(null, data, privateKey) }).then((ok) => console.log('answered', ok));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect({ status: r.status, signal: r.signal, stdout: r.stdout.trim(), stderr: r.stderr.trim() }).toEqual({ status: 0, signal: null, stdout: 'answered true', stderr: '' });
  });
});
