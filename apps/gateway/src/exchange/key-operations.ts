import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
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
export function onPool<K extends KeyOperation>(op: K): Promise<Result<K>> {
  if (op.kind === 'sign') return signOnPool(null, op.data, op.key) as Promise<Result<K>>;
  const p = op.alg === 'EdDSA' ? verifyOnPool(null, op.data, op.key, op.signature) : verifyOnPool('sha256', op.data, { key: op.key, dsaEncoding: 'ieee-p1363' }, op.signature);
  return p.catch(() => false) as Promise<Result<K>>;
}

interface Waiting {
  op: KeyOperation;
  resolve: (r: boolean | Buffer) => void;
  reject: (e: Error) => void;
}

/**
 * Runs the key operations of every exchange of one event-loop turn as ONE message to one worker
 * thread, instead of one libuv job each. Each job on the pool costs the event loop ≈ 16 µs of its
 * own (the job, its completion callback, the promise); a batch costs it ≈ 3 µs an operation, and
 * the event loop is what limits the gateway (BENCHMARKS.md, "Cost of trust"). Answers are the
 * same as node:crypto's. If the worker fails, every operation it held is done again on the pool,
 * and the next batch starts a new worker.
 */
export class KeyOperationBatcher {
  private waiting: Waiting[] = [];
  private scheduled = false;
  private current: { worker: Worker; inFlight: Map<number, Waiting[]> } | undefined;
  private nextId = 0;

  run<K extends KeyOperation>(op: K): Promise<Result<K>> {
    return new Promise<Result<K>>((resolve, reject) => {
      this.waiting.push({ op, resolve: resolve as (r: boolean | Buffer) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    }).catch(() => onPool(op));
  }

  /** Operations sent to the worker and not yet answered (tests). */
  get inFlight(): number {
    let n = 0;
    for (const batch of this.current?.inFlight.values() ?? []) n += batch.length;
    return n;
  }

  /** Stops the worker; what it held is done on the pool. The next operation starts a new one. */
  async close(): Promise<void> {
    const worker = this.current?.worker;
    if (worker) await worker.terminate();
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    const keyIndex = new Map<KeyObject, number>();
    const keys: KeyObject[] = [];
    const ops = batch.map(({ op }) => {
      let k = keyIndex.get(op.key);
      if (k === undefined) {
        keyIndex.set(op.key, (k = keys.length));
        keys.push(op.key);
      }
      return op.kind === 'sign' ? { k, d: op.data } : { k, d: op.data, s: op.signature, a: op.alg };
    });
    const id = this.nextId++;
    try {
      const current = this.ensureWorker();
      current.worker.postMessage({ id, keys, ops });
      current.inFlight.set(id, batch);
      current.worker.ref(); // while it holds operations, the worker keeps the process alive; idle, it does not
    } catch (e) {
      for (const w of batch) w.reject(e as Error);
    }
  }

  private ensureWorker(): { worker: Worker; inFlight: Map<number, Waiting[]> } {
    if (this.current) return this.current;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    const current = { worker, inFlight: new Map<number, Waiting[]>() };
    worker.on('message', ({ id, results }: { id: number; results: Array<boolean | Uint8Array | null> }) => {
      const batch = current.inFlight.get(id);
      current.inFlight.delete(id);
      if (current.inFlight.size === 0) worker.unref();
      batch?.forEach((w, i) => {
        const r = results[i];
        if (typeof r === 'boolean') w.resolve(r);
        else if (r instanceof Uint8Array) w.resolve(Buffer.from(r.buffer, r.byteOffset, r.byteLength));
        else w.reject(new Error('the key operation failed in the worker'));
      });
    });
    // This worker's batches only: a new worker may already hold the next ones.
    const failed = (err: Error) => {
      if (this.current === current) this.current = undefined;
      for (const batch of current.inFlight.values()) for (const w of batch) w.reject(err);
      current.inFlight.clear();
    };
    worker.on('error', failed);
    worker.on('exit', (code) => failed(new Error(`key operation worker exited (${code})`)));
    worker.unref(); // after the listeners: adding a 'message' listener refs it again
    this.current = current;
    return current;
  }
}

/** The gateway's one batcher (one worker thread per process). */
export const keyOperations = new KeyOperationBatcher();
