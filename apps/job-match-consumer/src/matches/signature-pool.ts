import { Worker } from 'node:worker_threads';
import type { PendingSignature } from '@passerelle/messaging';

/**
 * The worker's whole program (plain CommonJS, node:crypto only, so it needs no file beside the
 * bundle): imports each key once by its ref, runs the JWS key operations of a slice, answers 1/0.
 * Must stay equivalent to libs/messaging's `verifyJws`.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const keys = new Map();
function keyFor(ref, jwk) {
  let k = keys.get(ref);
  if (k === undefined) {
    if (keys.size > 1000) keys.clear();
    try { k = crypto.createPublicKey({ key: jwk, format: 'jwk' }); } catch { k = null; }
    keys.set(ref, k);
  }
  return k;
}
parentPort.on('message', ({ id, items }) => {
  const out = new Uint8Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    const key = keyFor(it.keyRef, it.jwk);
    let good = false;
    if (key) {
      try {
        const data = Buffer.from(it.signingInput, 'ascii');
        const sig = Buffer.from(it.signature, 'base64url');
        good = it.alg === 'EdDSA' ? crypto.verify(null, data, key, sig) : sig.length === 64 && crypto.verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
      } catch { good = false; }
    }
    out[i] = good ? 1 : 0;
  }
  parentPort.postMessage({ id, out }, [out.buffer]);
});
`;

type Job = { resolve: (r: Uint8Array) => void; reject: (e: Error) => void };

interface Slot {
  worker: Worker;
  jobs: Map<number, Job>;
}

/**
 * A few worker threads that run the public-key operations of signature checks, so that the
 * consumer's main thread (decoding, SQL, gRPC, Kafka) and the verification use both cores. A
 * slice of a chunk goes to each worker; a worker that fails is replaced and its slice retried inline
 * by the caller (`verify` rejects).
 */
export class SignaturePool {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed = false;

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(WORKER_SOURCE, { eval: true }), jobs: new Map() };
    slot.worker.unref();
    slot.worker.on('message', ({ id, out }: { id: number; out: Uint8Array }) => {
      const job = slot.jobs.get(id);
      slot.jobs.delete(id);
      job?.resolve(out);
    });
    const fail = (err: Error) => {
      for (const job of slot.jobs.values()) job.reject(err);
      slot.jobs.clear();
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) this.slots[i] = this.spawn();
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => fail(new Error(`signature worker exited (${code})`)));
    return slot;
  }

  /** For each pending check, whether its signature verifies (the slices run in parallel). */
  async verify(items: PendingSignature[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    const per = Math.ceil(items.length / this.slots.length);
    const parts = await Promise.all(
      this.slots.map((slot, w) => {
        const slice = items.slice(w * per, (w + 1) * per).map((p) => ({ keyRef: p.keyRef, jwk: p.jwk, alg: p.alg, signingInput: p.signingInput, signature: p.signature }));
        if (slice.length === 0) return Promise.resolve(new Uint8Array(0));
        const id = this.nextId++;
        return new Promise<Uint8Array>((resolve, reject) => {
          slot.jobs.set(id, { resolve, reject });
          slot.worker.postMessage({ id, items: slice });
        });
      }),
    );
    const out: boolean[] = [];
    for (const part of parts) for (const b of part) out.push(b === 1);
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
