import crypto from 'node:crypto';
import os from 'node:os';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { LedgerVerifier, type ConsistencyFetcher, type TreeHead, type VerificationResult, type VerifierState } from './verifier';

/**
 * The hashing of one chunk, as JavaScript source: evaluated once in each worker thread (`eval:
 * true`, no file to locate, so it runs the same from the TypeScript sources under jest and bench
 * and from the bundled CLI) and once in the main thread, which hashes the chunks no thread has
 * taken (all of them when there are no threads). For entries `seq .. seq + n - 1`, given as leaf inputs (`leafInputs`: each
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
  // A subtree's hashes, level by level, after one spare byte: the pair at [1 + 64j, 65 + 64j) is
  // hashed over [64j, 65 + 64j) with the byte before it set to 0x01 (that byte ends pair j - 1,
  // already hashed, and no result written so far reaches it), and its hash goes to
  // [1 + 32j, 33 + 32j), behind every pair still to hash: no copy per node.
  let work = Buffer.alloc(1);
  // seqFieldIs (verifier.ts) on the bytes of the leaf input all[start, end): some "seq":
  // followed by the digits of n and "," or "}" inside it. Searched from the end: in JCS order
  // "seq" comes late among a ledger entry's members.
  const SEQ = Buffer.from('"seq":', 'latin1');
  const seqFieldIs = (all, start, end, n) => {
    const digits = String(n);
    for (let at = all.lastIndexOf(SEQ, end - SEQ.length); at > start; at = all.lastIndexOf(SEQ, at - 1)) {
      const from = at + SEQ.length;
      let k = 0;
      while (k < digits.length && from + k < end && all[from + k] === digits.charCodeAt(k)) k++;
      const next = all[from + k];
      if (k === digits.length && from + k < end && (next === 0x2c || next === 0x7d)) return true;
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
      // a plain Uint8Array view: cheaper to make than a Buffer's subarray, and hashed the same
      shaInto(new Uint8Array(bytes.buffer, bytes.byteOffset + start, ends[i] - start), out, i * 32);
      if (bad < 0 && !seqFieldIs(all, start, ends[i], seq + i)) bad = i;
    }
    for (let r = 0; r < subtrees.length; r++) {
      const [off, size] = subtrees[r];
      if (work.length < 1 + size * 32) work = Buffer.alloc(1 + size * 32);
      work.set(out.subarray(off * 32, (off + size) * 32), 1);
      for (let w = size; w > 1; w /= 2) {
        for (let j = 0; j < w / 2; j++) {
          work[64 * j] = 0x01;
          shaInto(new Uint8Array(work.buffer, work.byteOffset + 64 * j, 65), work, 1 + 32 * j);
        }
      }
      out.set(work.subarray(1, 33), (n + r) * 32);
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
    // the leaf inputs' buffer goes back too, to be filled again (see SpareBuffers)
    parentPort.postMessage({ id, ...r, inputs: bytes.buffer }, [r.buffer, bytes.buffer]);
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
 * cost the main thread more than hashing them). The buffer comes from `spare` when it holds one
 * large enough.
 */
export function leafInputs(texts: readonly string[], spare?: SpareBuffers): LeafInputs {
  const ends = new Uint32Array(texts.length);
  let total = 0;
  for (let i = 0; i < texts.length; i++) ends[i] = total += 1 + Buffer.byteLength(texts[i], 'utf8');
  const bytes = Buffer.from(spare?.take(total) ?? new ArrayBuffer(total), 0, total);
  for (let i = 0, start = 0; i < texts.length; start = ends[i++]) {
    bytes[start] = 0;
    // as many bytes as characters: ASCII, the same bytes in latin1, whose writer is a plain copy
    bytes.write(texts[i], start + 1, ends[i] - start - 1 === texts[i].length ? 'latin1' : 'utf8');
  }
  return { bytes, ends };
}

/**
 * Leaf-input buffers to fill again. A fresh megabyte-sized ArrayBuffer per chunk is memory the
 * kernel must map and zero on first touch: measured here, that system time cost the main thread
 * more than encoding the texts (bench/notes.md, "## ledger"). Buffers come back from the threads
 * with their chunk's hashes; a new one is made 1/8 larger than asked so that the next chunks,
 * whose texts differ a little in length, fit in it.
 */
export class SpareBuffers {
  private readonly free: ArrayBuffer[] = [];

  constructor(private readonly keep = 8) {}

  take(bytes: number): ArrayBuffer {
    for (let i = this.free.length - 1; i >= 0; i--) {
      if (this.free[i].byteLength >= bytes) return this.free.splice(i, 1)[0];
    }
    return new ArrayBuffer(bytes + (bytes >> 3));
  }

  give(buffer: ArrayBuffer): void {
    if (this.free.length < this.keep && buffer.byteLength > 0) this.free.push(buffer);
  }
}

interface RawChunk {
  buffer: ArrayBuffer;
  /** the leaf inputs' buffer, returned by a thread */
  inputs?: ArrayBuffer;
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

interface Task {
  seq: number;
  inputs: LeafInputs;
  resolve: (r: ChunkResult) => void;
  reject: (e: Error) => void;
}

/** Chunks a thread holds at once: one hashing, one waiting, so it never idles between two. */
const THREAD_DEPTH = 2;

/**
 * A small pool of hashing threads fed from one queue: a thread takes chunks only once it is up
 * (starting one takes ≈ 60 ms here, a third of hashing 10^5 entries) and keeps THREAD_DEPTH of
 * them; whatever is still queued can be taken by the main thread instead (`takeQueued`).
 */
class HashPool {
  private readonly workers: Worker[] = [];
  private readonly ready: boolean[] = [];
  private readonly held: Array<Map<number, Task>> = [];
  private readonly queue: Task[] = [];
  private nextId = 0;
  private failure: Error | undefined;

  constructor(
    size: number,
    private readonly spare: SpareBuffers,
  ) {
    for (let w = 0; w < size; w++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      const held = new Map<number, Task>();
      worker.on('online', () => {
        this.ready[w] = true;
        this.feed();
      });
      worker.on('message', (m: Partial<RawChunk> & { id: number; error?: string }) => {
        const task = held.get(m.id);
        if (!task) return;
        held.delete(m.id);
        if (m.inputs) this.spare.give(m.inputs);
        if (m.error !== undefined) task.reject(new Error(`ledger hashing thread failed: ${m.error}`));
        else task.resolve(unpack(m as RawChunk));
        this.feed();
      });
      const fail = (e: Error) => {
        this.failure ??= e;
        this.ready[w] = false;
        for (const task of held.values()) task.reject(e);
        held.clear();
        for (const task of this.queue.splice(0)) task.reject(e);
      };
      worker.on('error', fail);
      worker.on('exit', (code) => code !== 0 && fail(new Error(`ledger hashing thread exited with code ${code}`)));
      this.workers.push(worker);
      this.ready.push(false);
      this.held.push(held);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  run(seq: number, inputs: LeafInputs): Promise<ChunkResult> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<ChunkResult>((resolve, reject) => {
      this.queue.push({ seq, inputs, resolve, reject });
      this.feed();
    });
  }

  /** The oldest chunk no thread has taken, removed from the queue (for the main thread to hash). */
  takeQueued(): Task | undefined {
    return this.queue.shift();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private feed(): void {
    for (let w = 0; w < this.workers.length && this.queue.length; w++) {
      while (this.ready[w] && this.held[w].size < THREAD_DEPTH && this.queue.length) {
        const task = this.queue.shift()!;
        const id = this.nextId++;
        this.held[w].set(id, task);
        const { bytes, ends } = task.inputs;
        this.workers[w].postMessage({ id, seq: task.seq, bytes, ends }, [bytes.buffer as ArrayBuffer, ends.buffer as ArrayBuffer]);
      }
    }
  }
}

export interface ChunkedVerifierOptions {
  /** Hashing threads beside this one (default: defaultVerifyWorkers for a large ledger); 0: this thread hashes every chunk. */
  workers?: number;
  /** Entries per chunk; chunks end at multiples of it (default 4096). */
  chunk?: number;
  /**
   * Whether this (the main) thread hashes a queued chunk itself rather than wait for a thread
   * (default true; must be true without threads).
   */
  mainThreadHashes?: boolean;
}

/** Below this many entries to verify, hashing threads cannot pay for their start-up (≈ 60 ms each here). */
export const THREADS_MIN_ENTRIES = 20_000;

/** On 2 cores, below this many entries the main thread alone is as fast as with one thread beside it. */
export const TWO_CORES_THREAD_MIN_ENTRIES = 500_000;

/**
 * Hashing threads to use by default for `entries` new entries: one per core but one from 3 cores
 * and THREADS_MIN_ENTRIES entries; on 2 cores one, from TWO_CORES_THREAD_MIN_ENTRIES; else none
 * (the main thread hashes every chunk). Two cores need the larger run: OpenSSL's shared state
 * makes two threads of one process that hash at once each ≈ 30 % slower (2.1M one-shot SHA-256/s
 * alone; 1.45M + 1.5M side by side, against 2.1M + 2.1M for two processes), and a thread starts
 * (≈ 60 ms) and warms up slowly. Measured here on a synthetic ledger: 10^5 entries, the main
 * thread alone ahead; 2–3 × 10^5, even; 10^6, one thread beside it 1.25× faster (bench/notes.md,
 * "## ledger").
 */
export function defaultVerifyWorkers(entries: number, cores = os.availableParallelism()): number {
  if (cores >= 3) return entries >= THREADS_MIN_ENTRIES ? cores - 1 : 0;
  return cores === 2 && entries >= TWO_CORES_THREAD_MIN_ENTRIES ? 1 : 0;
}

/**
 * LedgerVerifier, faster: the same pushes in seq order and the same `finish` (the first bad seq
 * named by bisection over consistency proofs), the same state. Entries are gathered into chunks
 * (ending at multiples of `chunk`, so most are complete aligned subtrees) written as leaf inputs
 * into one buffer; a chunk's leaf hashes and the hashes of its complete subtrees are computed in
 * one pass (by this thread, or by a hashing thread when there are some) and folded into the
 * compact range in seq order (a few node hashes per chunk). Call `drain()` now and then (e.g.
 * after each fetched page) to bound the chunks held, and `close()` when done (it stops the
 * threads).
 */
export class ChunkedLedgerVerifier {
  private readonly inner: LedgerVerifier;
  private readonly pool: HashPool;
  private readonly chunk: number;
  private readonly mainThreadHashes: boolean;
  private readonly inFlight: InFlightChunk[] = [];
  private readonly spare = new SpareBuffers();
  /** Whether this thread hashed a chunk since it last let events in. */
  private hashedHere = false;
  private texts: string[] = [];
  private textsSeq: number;
  private next: number;

  constructor(state?: VerifierState, opts: ChunkedVerifierOptions = {}) {
    this.inner = new LedgerVerifier(state);
    const workers = opts.workers ?? defaultVerifyWorkers(Number.MAX_SAFE_INTEGER);
    if (!Number.isInteger(workers) || workers < 0) throw new RangeError(`workers must be a whole number ≥ 0, got ${workers}`);
    this.chunk = opts.chunk ?? 4096;
    if (!Number.isInteger(this.chunk) || this.chunk < 1) throw new RangeError(`chunk must be a whole number ≥ 1, got ${this.chunk}`);
    this.mainThreadHashes = opts.mainThreadHashes ?? true;
    if (!this.mainThreadHashes && workers === 0) throw new RangeError('without hashing threads the main thread must hash');
    this.pool = new HashPool(workers, this.spare);
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

  /**
   * Bounds the chunks held to `max` (default: what the threads hold, plus two queued): while
   * more are held, the main thread hashes the oldest chunk no thread has taken yet (unless
   * `mainThreadHashes` is off), or else waits for the oldest chunk to come back. Finished
   * chunks are folded in, in seq order.
   */
  async drain(max = this.pool.size ? THREAD_DEPTH * this.pool.size + 2 : 0): Promise<void> {
    for (;;) {
      if (this.hashedHere) {
        // Let the threads' answers in (and feed them): they arrive as events, which a busy main
        // thread never sees.
        this.hashedHere = false;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      while (this.inFlight[0]?.settled) this.foldReady();
      if (this.inFlight.length <= max) return;
      const task = this.mainThreadHashes ? this.pool.takeQueued() : undefined;
      if (task) {
        try {
          task.resolve(hashChunkHere(task.seq, task.inputs));
        } catch (e) {
          task.reject(e as Error);
        }
        this.spare.give(task.inputs.bytes.buffer as ArrayBuffer);
        this.hashedHere = true;
        await null; // its chunk settles
      } else {
        await this.inFlight[0].result.catch(() => undefined);
      }
    }
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
    const chunk: InFlightChunk = { seq: this.textsSeq, result: this.pool.run(this.textsSeq, leafInputs(this.texts, this.spare)) };
    chunk.result.then(
      (value) => (chunk.settled = { value }),
      (error: Error) => (chunk.settled = { error }), // surfaces when the chunk is folded in
    );
    this.inFlight.push(chunk);
    this.textsSeq = this.next;
    this.texts = [];
  }

  /** Folds in the oldest chunk, which has settled; a failed chunk throws its error. */
  private foldReady(): void {
    const c = this.inFlight.shift()!;
    const settled = c.settled!;
    if ('error' in settled) throw settled.error;
    const { leaves, subtrees, bad } = settled.value;
    this.inner.pushHashed(c.seq, leaves, subtrees, bad);
  }
}

interface InFlightChunk {
  seq: number;
  result: Promise<ChunkResult>;
  /** set once `result` has settled (its callbacks ran) */
  settled?: { value: ChunkResult } | { error: Error };
}
