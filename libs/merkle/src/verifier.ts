import { CompactRange } from './compact-range';
import { hashEquals, leafHash, type Hash } from './hash';
import { verifyConsistency } from './reference';
import { rangeNodes } from './stored-nodes';

/** What a verifier keeps between runs: the verified prefix, so the next run fetches only new entries. */
export interface VerifierState {
  treeSize: number;
  /** base64url */
  rootHash: string;
  /** base64url hashes of the compact range (peaks) of the verified prefix, largest first */
  peaks: string[];
}

/** The consistency proof PROOF(first, D[second]) as the log serves it. */
export type ConsistencyFetcher = (first: number, second: number) => Promise<Uint8Array[]>;

export interface TreeHead {
  treeSize: number;
  rootHash: Uint8Array;
}

export type VerificationResult =
  | { ok: true; state: VerifierState; verifiedEntries: number }
  | { ok: false; check: 'entry'; seq: number; message: string }
  | { ok: false; check: 'consistency' | 'count'; message: string };

const CHECKPOINT_EVERY = 1024;

/**
 * Streams a ledger through: entries are pushed in seq order (as the canonical JSON text that
 * the log hashed), the leaves and root are recomputed, and `finish` compares them with a tree
 * head whose signature the caller has already checked.
 *
 * A mismatch is pinned to the FIRST bad entry by bisection: the prefix of k recomputed leaves
 * is checked against the head with the log's consistency proof PROOF(k, N); the first k whose
 * prefix is not consistent ends with the tampered entry k - 1. An entry whose seq field is
 * wrong bounds the search from above. Pushing costs one leaf hash and ~one node hash: no parsing.
 */
export class LedgerVerifier {
  private readonly start: { size: number; root: Hash };
  private readonly range: CompactRange;
  private readonly leaves = new LeafStore();
  /** Compact ranges of verified prefixes, ascending sizes (the first is the resumed prefix). */
  private readonly checkpoints: CompactRange[];
  private firstMalformed: { seq: number; why: string } | undefined;

  constructor(state?: VerifierState) {
    if (!state || state.treeSize === 0) {
      this.range = CompactRange.empty();
    } else {
      this.range = CompactRange.fromPeaks(state.treeSize, state.peaks.map((p) => Buffer.from(p, 'base64url')));
      if (!hashEquals(this.range.root(), Buffer.from(state.rootHash, 'base64url'))) {
        throw new Error(`saved state is corrupt: its peaks do not hash to its root for tree size ${state.treeSize}`);
      }
    }
    this.start = { size: this.range.size, root: this.range.root() };
    this.checkpoints = [this.range.clone()];
  }

  /** Entries verified before this run (the resumed prefix). */
  get startSize(): number {
    return this.start.size;
  }

  /** Entries seen so far, including the resumed prefix. */
  get size(): number {
    return this.range.size;
  }

  /** The next entry, in order; `canonical` is the exact text hashed into its leaf. */
  push(seq: number, canonical: string): void {
    if (seq !== this.range.size) throw new Error(`entries out of order: expected seq ${this.range.size}, got ${seq}`);
    if (!this.firstMalformed && !seqFieldIs(seq, canonical)) this.firstMalformed = { seq, why: seqMismatch(seq) };
    const offset = this.range.size - this.start.size;
    if (offset > 0 && offset % CHECKPOINT_EVERY === 0) this.checkpoints.push(this.range.clone());
    const leaf = leafHash(canonical);
    this.leaves.add(leaf);
    this.range.push(leaf);
  }

  /**
   * The next `leaves.length / 32` entries from `seq`, already hashed elsewhere (a worker
   * thread: see ChunkedLedgerVerifier): their leaf hashes, concatenated; the hashes of the
   * complete subtrees that cover them, left to right (`rangeNodes(seq, seq + count)`), which
   * are folded into the compact range without rehashing their interior; and the offset of the
   * first entry whose seq field is wrong (-1 if none). Same result as pushing them one by one.
   */
  pushHashed(seq: number, leaves: Uint8Array, subtrees: readonly Uint8Array[], firstMalformed = -1): void {
    if (seq !== this.range.size) throw new Error(`entries out of order: expected seq ${this.range.size}, got ${seq}`);
    const count = leaves.length / 32;
    if (!Number.isInteger(count) || count === 0) throw new RangeError(`leaf hashes must be a non-empty multiple of 32 bytes, got ${leaves.length}`);
    const nodes = rangeNodes(seq, seq + count);
    if (nodes.length !== subtrees.length) throw new RangeError(`entries ${seq}..${seq + count - 1} are covered by ${nodes.length} subtrees, got ${subtrees.length}`);
    if (!this.firstMalformed && firstMalformed >= 0) this.firstMalformed = { seq: seq + firstMalformed, why: seqMismatch(seq + firstMalformed) };
    if (this.range.size > this.checkpoints[this.checkpoints.length - 1].size) this.checkpoints.push(this.range.clone());
    this.leaves.addMany(leaves);
    nodes.forEach((n, i) => this.range.pushSubtree(n.level, subtrees[i]));
  }

  /** Compares everything pushed with the (signature-checked) head. */
  async finish(head: TreeHead, prove: ConsistencyFetcher): Promise<VerificationResult> {
    const N = head.treeSize;
    if (N < this.start.size) {
      return { ok: false, check: 'consistency', message: `the signed tree head has ${N} entries, fewer than the ${this.start.size} verified before: the log shrank` };
    }
    if (this.start.size > 0) {
      const consistent =
        this.start.size === N
          ? hashEquals(this.start.root, head.rootHash)
          : verifyConsistency(this.start.size, N, this.start.root, head.rootHash, await prove(this.start.size, N));
      if (!consistent) {
        return { ok: false, check: 'consistency', message: `consistency check failed: the signed tree head of size ${N} does not extend the verified head of size ${this.start.size}` };
      }
    }
    if (this.range.size !== N) {
      return { ok: false, check: 'count', message: `the signed tree head has ${N} entries but ${this.range.size} were received` };
    }
    if (!this.firstMalformed && hashEquals(this.range.root(), head.rootHash)) {
      return { ok: true, state: this.state(), verifiedEntries: N - this.start.size };
    }
    // Smallest k in (start, hi] whose prefix is not consistent with the head: entry k - 1 is bad.
    let lo = this.start.size + 1;
    let hi = this.firstMalformed ? this.firstMalformed.seq + 1 : N;
    if (await this.prefixConsistent(hi, head, prove)) {
      // The hashes agree, so the entry was hashed as served; only its form is wrong.
      const m = this.firstMalformed!;
      return { ok: false, check: 'entry', seq: m.seq, message: `tampered entry at seq ${m.seq}: ${m.why}` };
    }
    // Usually the malformed entry is the first bad one: one more proof confirms it.
    if (this.firstMalformed && (hi - 1 === this.start.size || (await this.prefixConsistent(hi - 1, head, prove)))) lo = hi;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.prefixConsistent(mid, head, prove)) lo = mid + 1;
      else hi = mid;
    }
    const seq = lo - 1;
    const why = this.firstMalformed?.seq === seq ? this.firstMalformed.why : 'its leaf hash does not match the signed tree';
    return { ok: false, check: 'entry', seq, message: `tampered entry at seq ${seq}: ${why}` };
  }

  /** The state to save after a successful run. */
  state(): VerifierState {
    return {
      treeSize: this.range.size,
      rootHash: this.range.root().toString('base64url'),
      peaks: this.range.getPeaks().map((p) => p.toString('base64url')),
    };
  }

  private async prefixConsistent(k: number, head: TreeHead, prove: ConsistencyFetcher): Promise<boolean> {
    const root = this.prefixRoot(k);
    if (k === head.treeSize) return hashEquals(root, head.rootHash);
    return verifyConsistency(k, head.treeSize, root, head.rootHash, await prove(k, head.treeSize));
  }

  /** MTH of the first k entries: the last checkpoint at or below k, then the leaves after it. */
  private prefixRoot(k: number): Hash {
    let lo = 0;
    let hi = this.checkpoints.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (this.checkpoints[mid].size <= k) lo = mid;
      else hi = mid - 1;
    }
    const range = this.checkpoints[lo].clone();
    for (let i = range.size; i < k; i++) range.push(this.leaves.at(i - this.start.size));
    return range.root();
  }
}

/** The leaf hashes of this run, in segments (one allocation per 4096 leaves, not one per leaf). */
class LeafStore {
  private static readonly SEGMENT = 4096;
  private readonly segments: Uint8Array[] = [];
  private readonly starts: number[] = [];
  private current: Uint8Array | undefined;
  private fill = 0;
  private count = 0;

  add(leaf: Uint8Array): void {
    if (!this.current || this.fill === LeafStore.SEGMENT) {
      this.current = new Uint8Array(LeafStore.SEGMENT * 32);
      this.segments.push(this.current);
      this.starts.push(this.count);
      this.fill = 0;
    }
    this.current.set(leaf, this.fill * 32);
    this.fill++;
    this.count++;
  }

  /** Appends concatenated leaf hashes (kept as they are, not copied). */
  addMany(leaves: Uint8Array): void {
    this.segments.push(leaves);
    this.starts.push(this.count);
    this.current = undefined;
    this.count += leaves.length / 32;
  }

  /** Leaf i of this run. */
  at(i: number): Uint8Array {
    if (i < 0 || i >= this.count) throw new RangeError(`no leaf ${i} (have ${this.count})`);
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (this.starts[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    const o = (i - this.starts[lo]) * 32;
    return this.segments[lo].subarray(o, o + 32);
  }
}

/**
 * Whether an entry's text may be entry `seq`: only a cheap textual check of the seq field (in
 * RFC 8785 text `"seq":N` is followed by "," or "}" and cannot occur inside a string, where
 * quotes are escaped); everything else is settled by the hashes. The worker threads of
 * ChunkedLedgerVerifier run the same test (chunked.ts).
 */
export function seqFieldIs(seq: number, canonical: string): boolean {
  return canonical.includes(`"seq":${seq},`) || canonical.includes(`"seq":${seq}}`);
}

function seqMismatch(seq: number): string {
  return `its seq field is not ${seq}`;
}
