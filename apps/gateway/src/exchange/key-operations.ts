import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';

/** The public-key operations of an exchange: the request's signature check and the answer's signature. */
export type KeyOperation =
  | { kind: 'verify'; alg: 'EdDSA' | 'ES256'; key: KeyObject; data: Buffer; signature: Buffer }
  | { kind: 'sign'; key: KeyObject; data: Buffer };

type Result<K extends KeyOperation> = K extends { kind: 'verify' } ? boolean : Buffer;

/**
 * The worker's whole program (plain CommonJS, node:crypto only, so it needs no file beside the
 * bundle). One message is a batch: its distinct keys (KeyObjects travel by postMessage) and its
 * operations, each naming its key by index. A verification that throws is false; a signature that
 * throws is null, and the caller does it again on libuv's pool, where the error is its own.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
parentPort.on('message', ({ id, keys, ops }) => {
  const results = new Array(ops.length);
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i];
    const key = keys[o.k];
    try {
      if (o.s === undefined) results[i] = crypto.sign(null, o.d, key);
      else if (o.a === 'EdDSA') results[i] = crypto.verify(null, o.d, key, o.s);
      else results[i] = crypto.verify('sha256', o.d, { key, dsaEncoding: 'ieee-p1363' }, o.s);
    } catch {
      results[i] = o.s === undefined ? null : false;
    }
  }
  parentPort.postMessage({ id, results });
});
`;

const verifyOnPool = promisify(cryptoVerify) as unknown as (algorithm: string | null, data: Buffer, key: KeyObject | { key: KeyObject; dsaEncoding: 'ieee-p1363' }, signature: Buffer) => Promise<boolean>;
const signOnPool = promisify(cryptoSign) as unknown as (algorithm: null, data: Buffer, key: KeyObject) => Promise<Buffer>;

/** The same operation on libuv's thread pool, one job each: the fallback when the worker fails. */
function onPool<K extends KeyOperation>(op: K): Promise<Result<K>> {
  if (op.kind === 'sign') return signOnPool(null, op.data, op.key) as Promise<Result<K>>;
  const p = op.alg === 'EdDSA' ? verifyOnPool(null, op.data, op.key, op.signature) : verifyOnPool('sha256', op.data, { key: op.key, dsaEncoding: 'ieee-p1363' }, op.signature);
  return p.catch(() => false) as Promise<Result<K>>;
}

interface Waiting {
  op: KeyOperation;
  resolve: (r: boolean | Buffer) => void;
  reject: (e: Error) => void;
}

/** One worker per core but one (the event loop's), at least one, at most libuv's default pool of 4. */
export function defaultKeyWorkers(cores = availableParallelism()): number {
  return Math.min(4, Math.max(1, cores - 1));
}

interface Slot {
  worker: Worker;
  inFlight: Map<number, Waiting[]>;
}

/**
 * Runs the key operations of every exchange of one event-loop turn as ONE message per worker
 * thread, instead of one libuv job each. Each job on the pool costs the event loop ≈ 16 µs of its
 * own (the job, its completion callback, the promise); a batch costs it ≈ 3 µs an operation, and
 * the event loop is what limits the gateway (BENCHMARKS.md, "Cost of trust"). A turn's batch is
 * split evenly over the workers (one per core but one: a two-core machine has one, a bigger one
 * keeps the pool's parallelism). Answers are the same as node:crypto's. If a worker fails, every
 * operation it held is done again on the pool, and its next slice starts a new worker.
 */
export class KeyOperationBatcher {
  private waiting: Waiting[] = [];
  private scheduled = false;
  private readonly slots: Array<Slot | undefined>;
  private nextId = 0;

  constructor(readonly workers = defaultKeyWorkers()) {
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`key operation workers must be a positive integer, not ${workers}`);
    this.slots = Array.from({ length: workers }, () => undefined);
  }

  run<K extends KeyOperation>(op: K): Promise<Result<K>> {
    return new Promise<Result<K>>((resolve, reject) => {
      this.waiting.push({ op, resolve: resolve as (r: boolean | Buffer) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    }).catch(() => onPool(op));
  }

  /** Operations sent to the workers and not yet answered (tests). */
  get inFlight(): number {
    let n = 0;
    for (const slot of this.slots) for (const batch of slot?.inFlight.values() ?? []) n += batch.length;
    return n;
  }

  /** Stops the workers; what they held is done on the pool. The next operations start new ones. */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot?.worker.terminate()));
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.waiting;
    this.waiting = [];
    const per = Math.ceil(batch.length / this.slots.length);
    for (let w = 0; w * per < batch.length; w++) this.send(w, batch.slice(w * per, (w + 1) * per));
  }

  private send(w: number, slice: Waiting[]): void {
    const keyIndex = new Map<KeyObject, number>();
    const keys: KeyObject[] = [];
    const ops = slice.map(({ op }) => {
      let k = keyIndex.get(op.key);
      if (k === undefined) {
        keyIndex.set(op.key, (k = keys.length));
        keys.push(op.key);
      }
      return op.kind === 'sign' ? { k, d: op.data } : { k, d: op.data, s: op.signature, a: op.alg };
    });
    const id = this.nextId++;
    try {
      const slot = this.slot(w);
      slot.worker.postMessage({ id, keys, ops });
      slot.inFlight.set(id, slice);
      slot.worker.ref(); // while it holds operations, a worker keeps the process alive; idle, it does not
    } catch (e) {
      for (const waiting of slice) waiting.reject(e as Error);
    }
  }

  private slot(w: number): Slot {
    const existing = this.slots[w];
    if (existing) return existing;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    const slot: Slot = { worker, inFlight: new Map() };
    worker.on('message', ({ id, results }: { id: number; results: Array<boolean | Uint8Array | null> }) => {
      const slice = slot.inFlight.get(id);
      slot.inFlight.delete(id);
      if (slot.inFlight.size === 0) worker.unref();
      slice?.forEach((waiting, i) => {
        const r = results[i];
        if (typeof r === 'boolean') waiting.resolve(r);
        else if (r instanceof Uint8Array) waiting.resolve(Buffer.from(r.buffer, r.byteOffset, r.byteLength));
        else waiting.reject(new Error('the key operation failed in the worker'));
      });
    });
    // This worker's slices only: a new worker may already hold the next ones.
    const failed = (err: Error) => {
      if (this.slots[w] === slot) this.slots[w] = undefined;
      for (const slice of slot.inFlight.values()) for (const waiting of slice) waiting.reject(err);
      slot.inFlight.clear();
    };
    worker.on('error', failed);
    worker.on('exit', (code) => failed(new Error(`key operation worker exited (${code})`)));
    worker.unref(); // after the listeners: adding a 'message' listener refs it again
    this.slots[w] = slot;
    return slot;
  }
}

/** The gateway's batcher: its worker threads, one per core but one. */
export const keyOperations = new KeyOperationBatcher();
