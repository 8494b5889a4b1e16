import crypto from 'node:crypto';
import os from 'node:os';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { LedgerVerifier, type ConsistencyFetcher, type TreeHead, type VerificationResult, type VerifierState } from './verifier';

/**
 * The hashing of one chunk, as JavaScript source: evaluated once in each worker thread (`eval:
 * true`, no file to locate, so it runs the same from the TypeScript sources under jest and bench
 * and from the bundled CLI) and once in the main thread, which hashes chunks itself while every
 * thread is busy. For entries `seq .. seq + n - 1`, given as leaf inputs (`leafInputs`: each
 * entry's 0x00 ‖ UTF-8 text in one buffer, and where each ends) it returns, in ONE ArrayBuffer,
 * the n leaf hashes SHA-256(0x00 ‖ text) followed by the hashes of the maximal
 * complete subtrees covering the chunk (the decomposition of `rangeNodes`, left to right), and
 * the offset of the first entry whose seq field is wrong — the same test as `seqFieldIs` in
 * verifier.ts, on the bytes (the needle is ASCII, and no byte of a multi-byte UTF-8 sequence is).
 */
const HASH_CHUNK_SOURCE = String.raw`(function makeHashChunk(crypto) {
  const oneShot = typeof crypto.hash === 'function';
  // SHA-256 of data written at off in target (a Buffer): as a latin1 string, not a Buffer (see
  // hash.ts), copied by the latin1 writer itself where there is one (Buffer#write parses its
  // arguments each call).
  const latin1Into = typeof Buffer.prototype.latin1Write === 'function'
    ? (target, text, off) => target.latin1Write(text, off, 32)
    : (target, text, off) => target.write(text, off, 32, 'latin1');
  const shaInto = oneShot
    ? (data, target, off) => latin1Into(target, crypto.hash('sha256', data, 'latin1'), off)
    : (data, target, off) => target.set(crypto.createHash('sha256').update(data).digest(), off);
  const scratch = Buffer.alloc(65, 1);
  let work = Buffer.alloc(0);
  // seqFieldIs (verifier.ts) on the bytes: some "seq": followed by the digits of n and "," or "}".
  const SEQ = Buffer.from('"seq":', 'latin1');
  const seqFieldIs = (leaf, n) => {
    const digits = String(n);
    for (let at = leaf.indexOf(SEQ, 1); at >= 0; at = leaf.indexOf(SEQ, at + 1)) {
      const from = at + SEQ.length;
      let k = 0;
      while (k < digits.length && leaf[from + k] === digits.charCodeAt(k)) k++;
      const next = leaf[from + k];
      if (k === digits.length && (next === 0x2c || next === 0x7d)) return true;
    }
    return false;
  };
  return function hashChunk(seq, bytes, ends) {
    const n = ends.length;
    const end = seq + n;
    const subtrees = [];
    for (let s = seq; s < end; ) {
      let size = 1;
      while (s % (size * 2) === 0 && s + size * 2 <= end) size *= 2;
      subtrees.push([s - seq, size]);
      s += size;
    }
    const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = Buffer.from(new ArrayBuffer((n + subtrees.length) * 32));
    let bad = -1;
    for (let i = 0, start = 0; i < n; start = ends[i++]) {
      const leaf = all.subarray(start, ends[i]);
      shaInto(leaf, out, i * 32);
      if (bad < 0 && !seqFieldIs(leaf, seq + i)) bad = i;
    }
    for (let r = 0; r < subtrees.length; r++) {
      const [off, size] = subtrees[r];
      if (work.length < size * 32) work = Buffer.alloc(size * 32);
      work.set(out.subarray(off * 32, (off + size) * 32));
      for (let w = size; w > 1; w /= 2) {
        for (let j = 0; j < w / 2; j++) {
          scratch.set(work.subarray(j * 64, j * 64 + 64), 1);
          shaInto(scratch, work, j * 32);
        }
      }
      out.set(work.subarray(0, 32), (n + r) * 32);
    }
    return { buffer: out.buffer, count: n, subtrees: subtrees.length, bad };
  };
})`;

const WORKER_SOURCE = `
'use strict';
const { parentPort } = require('node:worker_threads');
const hashChunk = ${HASH_CHUNK_SOURCE}(require('node:crypto'));
parentPort.on('message', ({ id, seq, bytes, ends }) => {
  try {
    const r = hashChunk(seq, bytes, ends);
    parentPort.postMessage({ id, ...r }, [r.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.stack) || e) });
  }
});
`;

export interface LeafInputs {
  bytes: Uint8Array;
  ends: Uint32Array;
}

/**
 * A chunk's texts as leaf inputs in ONE buffer (each text's UTF-8 after its 0x00 leaf prefix)
 * and where each ends: transferred to a thread, not cloned text by text (posting 4,096 strings
 * cost the main thread more than hashing them).
 */
export function leafInputs(texts: readonly string[]): LeafInputs {
  const ends = new Uint32Array(texts.length);
  let total = 0;
  for (let i = 0; i < texts.length; i++) ends[i] = total += 1 + Buffer.byteLength(texts[i], 'utf8');
  const bytes = Buffer.from(new ArrayBuffer(total));
  for (let i = 0, start = 0; i < texts.length; start = ends[i++]) {
    bytes[start] = 0;
    bytes.write(texts[i], start + 1, 'utf8');
  }
  return { bytes, ends };
}

interface RawChunk {
  buffer: ArrayBuffer;
  count: number;
  subtrees: number;
  bad: number;
}

/** The same chunk hashing in this thread (see HASH_CHUNK_SOURCE), made on first use. */
type HashChunk = (seq: number, bytes: Uint8Array, ends: Uint32Array) => RawChunk;
let hashHere: HashChunk | undefined;
function hashChunkHere(seq: number, { bytes, ends }: LeafInputs): ChunkResult {
  hashHere ??= (vm.runInThisContext(HASH_CHUNK_SOURCE) as (c: typeof crypto) => HashChunk)(crypto);
  return unpack(hashHere(seq, bytes, ends));
}

function unpack(r: RawChunk): ChunkResult {
  const all = new Uint8Array(r.buffer);
  const n = r.count;
  const subtrees = Array.from({ length: r.subtrees }, (_, i) => all.subarray((n + i) * 32, (n + i + 1) * 32));
  return { leaves: all.subarray(0, n * 32), subtrees, bad: r.bad };
}

interface ChunkResult {
  leaves: Uint8Array;
  subtrees: Uint8Array[];
  bad: number;
}

interface Pending {
  resolve: (r: ChunkResult) => void;
  reject: (e: Error) => void;
  worker: number;
}

/** A small pool of hashing threads; each chunk goes to the least busy one. */
class HashPool {
  private readonly workers: Worker[] = [];
  private readonly busy: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(size: number) {
    for (let w = 0; w < size; w++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.on('message', (m: Partial<RawChunk> & { id: number; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        this.busy[w]--;
        if (m.error !== undefined) return p.reject(new Error(`ledger hashing thread failed: ${m.error}`));
        p.resolve(unpack(m as RawChunk));
      });
      const fail = (e: Error) => {
        this.failure ??= e;
        for (const [id, p] of this.pending) {
          if (p.worker !== w) continue;
          this.pending.delete(id);
          p.reject(e);
        }
      };
      worker.on('error', fail);
      worker.on('exit', (code) => code !== 0 && fail(new Error(`ledger hashing thread exited with code ${code}`)));
      this.workers.push(worker);
      this.busy.push(0);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Whether some thread has fewer than `depth` chunks in flight. */
  hasRoom(depth: number): boolean {
    return this.busy.some((b) => b < depth);
  }

  run(seq: number, { bytes, ends }: LeafInputs): Promise<ChunkResult> {
    if (this.failure) return Promise.reject(this.failure);
    let w = 0;
    for (let i = 1; i < this.busy.length; i++) if (this.busy[i] < this.busy[w]) w = i;
    const id = this.nextId++;
    this.busy[w]++;
    return new Promise<ChunkResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: w });
      this.workers[w].postMessage({ id, seq, bytes, ends }, [bytes.buffer as ArrayBuffer, ends.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

export interface ParallelVerifierOptions {
  /** Hashing threads (default: os.availableParallelism()). */
  workers?: number;
  /** Entries per chunk sent to a thread; chunks end at multiples of it (default 4096). */
  chunk?: number;
  /**
   * Whether this (the main) thread hashes a chunk itself when every thread already has two in
   * flight (default true): the main thread would otherwise wait, so on 2 cores one thread plus
   * the main thread keep both cores hashing.
   */
  mainThreadHashes?: boolean;
}

/** Below this many entries to verify, the single-threaded LedgerVerifier is faster (thread start-up ≈ tens of ms). */
export const PARALLEL_MIN_ENTRIES = 20_000;

/**
 * Hashing threads to use by default for `entries` new entries: one per core but one from 2 cores
 * up and PARALLEL_MIN_ENTRIES entries (the main thread hashes too, whenever the threads are
 * busy), else 0 (the pure single-threaded LedgerVerifier). Before the main thread took a share,
 * 2 threads beside an idle-waiting main thread were no faster than one thread on 2 cores
 * (bench/notes.md, "## ledger").
 */
export function defaultVerifyWorkers(entries: number, cores = os.availableParallelism()): number {
  return entries >= PARALLEL_MIN_ENTRIES && cores >= 2 ? cores - 1 : 0;
}

/**
 * LedgerVerifier with the leaf hashing moved to worker threads: the same pushes in seq order
 * and the same `finish` (the first bad seq named by bisection over consistency proofs), the
 * same state. Entries are gathered into chunks (ending at multiples of `chunk`, so most are
 * complete aligned subtrees); each chunk's texts go to a thread, which returns its leaf hashes
 * and subtree hashes; the main thread folds those into the compact range in seq order (a few
 * node hashes per chunk). Call `drain()` now and then (e.g. after each fetched page) to bound
 * the chunks in flight, and `close()` when done (it stops the threads).
 */
export class ParallelLedgerVerifier {
  private readonly inner: LedgerVerifier;
  private readonly pool: HashPool;
  private readonly chunk: number;
  private readonly mainThreadHashes: boolean;
  private readonly inFlight: Array<{ seq: number; result: Promise<ChunkResult> }> = [];
  private texts: string[] = [];
  private textsSeq: number;
  private next: number;

  constructor(state?: VerifierState, opts: ParallelVerifierOptions = {}) {
    this.inner = new LedgerVerifier(state);
    const workers = opts.workers ?? os.availableParallelism();
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`workers must be a whole number ≥ 1, got ${workers}`);
    this.chunk = opts.chunk ?? 4096;
    if (!Number.isInteger(this.chunk) || this.chunk < 1) throw new RangeError(`chunk must be a whole number ≥ 1, got ${this.chunk}`);
    this.mainThreadHashes = opts.mainThreadHashes ?? true;
    this.pool = new HashPool(workers);
    this.next = this.inner.size;
    this.textsSeq = this.next;
  }

  get startSize(): number {
    return this.inner.startSize;
  }

  /** Entries pushed so far, including the resumed prefix. */
  get size(): number {
    return this.next;
  }

  /** The next entry, in order; `canonical` is the exact text hashed into its leaf. */
  push(seq: number, canonical: string): void {
    if (seq !== this.next) throw new Error(`entries out of order: expected seq ${this.next}, got ${seq}`);
    this.texts.push(canonical);
    this.next++;
    if (this.next % this.chunk === 0) this.dispatch();
  }

  /** Folds finished chunks in, waiting while more than `max` (default 2 per thread) are in flight. */
  async drain(max = 2 * this.pool.size): Promise<void> {
    while (this.inFlight.length > max) await this.foldOne();
  }

  /** Hashes what is left, folds everything in, and compares it with the head (as LedgerVerifier.finish). */
  async finish(head: TreeHead, prove: ConsistencyFetcher): Promise<VerificationResult> {
    this.dispatch();
    await this.drain(0);
    return this.inner.finish(head, prove);
  }

  /** Stops the threads (the verifier cannot be pushed to afterwards). */
  close(): Promise<void> {
    return this.pool.close();
  }

  private dispatch(): void {
    if (!this.texts.length) return;
    const seq = this.textsSeq;
    const inputs = leafInputs(this.texts);
    const result =
      this.mainThreadHashes && !this.pool.hasRoom(2) ? new Promise<ChunkResult>((resolve) => resolve(hashChunkHere(seq, inputs))) : this.pool.run(seq, inputs);
    result.catch(() => undefined); // rejections surface when the chunk is folded in
    this.inFlight.push({ seq: this.textsSeq, result });
    this.textsSeq = this.next;
    this.texts = [];
  }

  private async foldOne(): Promise<void> {
    const c = this.inFlight.shift()!;
    const r = await c.result;
    this.inner.pushHashed(c.seq, r.leaves, r.subtrees, r.bad);
  }
}
