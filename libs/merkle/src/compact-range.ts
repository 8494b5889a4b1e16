import { nodeHash, type Hash } from './hash';
import { foldRight, rangeNodes, type NodeKey, type NodeReader } from './stored-nodes';

/** A node that became complete when a leaf was appended: the ledger stores it. */
export interface CompletedNode extends NodeKey {
  hash: Hash;
}

/**
 * The right edge of a growing tree: for size n, the hashes of the complete subtrees of the
 * binary decomposition of n, largest first ("peaks"). It is all an appender needs to compute
 * the new complete nodes and the root, and all a verifier needs to resume (O(log n) hashes).
 */
export class CompactRange {
  private constructor(
    private _size: number,
    private readonly peaks: Hash[],
  ) {}

  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /** Rebuilds from the peaks of a tree of `size` leaves (as listed by `peakKeys(size)`). */
  static fromPeaks(size: number, peaks: readonly Uint8Array[]): CompactRange {
    const expected = peakKeys(size).length;
    if (peaks.length !== expected) throw new Error(`a tree of ${size} leaves has ${expected} peaks, got ${peaks.length}`);
    return new CompactRange(size, peaks.map((p) => Buffer.from(p)));
  }

  /** Loads the peaks of a stored tree of `size` leaves in one batched read. */
  static async load(size: number, read: NodeReader): Promise<CompactRange> {
    const keys = peakKeys(size);
    return CompactRange.fromPeaks(size, keys.length ? await read(keys) : []);
  }

  get size(): number {
    return this._size;
  }

  /** The peak hashes, largest subtree first (copies). */
  getPeaks(): Hash[] {
    return this.peaks.map((p) => Buffer.from(p));
  }

  clone(): CompactRange {
    return new CompactRange(this._size, this.getPeaks());
  }

  /**
   * Appends one leaf hash; returns the nodes completed by it: the leaf itself (level 0) and
   * each parent that became complete, at most log2(n)+1 of them.
   */
  append(leaf: Uint8Array): CompletedNode[] {
    const index = this._size;
    const done: CompletedNode[] = [{ level: 0, index, hash: Buffer.from(leaf) }];
    let hash: Hash = Buffer.from(leaf);
    let level = 0;
    let i = index;
    // Each trailing 1-bit of the leaf index merges the peak on the left with the new subtree.
    while (i % 2 === 1) {
      hash = nodeHash(this.peaks.pop()!, hash);
      level++;
      i = (i - 1) / 2;
      done.push({ level, index: i, hash });
    }
    this.peaks.push(hash);
    this._size++;
    return done;
  }

  /** Appends one leaf hash without reporting completed nodes (the verifier's hot path). */
  push(leaf: Uint8Array): void {
    let hash: Hash = Buffer.isBuffer(leaf) ? leaf : Buffer.from(leaf.buffer, leaf.byteOffset, leaf.byteLength);
    for (let i = this._size; i % 2 === 1; i = (i - 1) / 2) hash = nodeHash(this.peaks.pop()!, hash);
    this.peaks.push(hash);
    this._size++;
  }

  /**
   * Appends a complete subtree of 2^level leaves whose hash is already known (computed
   * elsewhere, e.g. by a worker thread); the size must be a multiple of 2^level. Same peaks as
   * pushing its leaves one by one, at the cost of the merges only.
   */
  pushSubtree(level: number, hash: Uint8Array): void {
    const width = 2 ** level;
    if (!Number.isInteger(level) || level < 0 || this._size % width !== 0) {
      throw new RangeError(`a subtree of 2^${level} leaves cannot be appended at tree size ${this._size}`);
    }
    let h: Hash = Buffer.from(hash);
    for (let i = this._size / width; i % 2 === 1; i = (i - 1) / 2) h = nodeHash(this.peaks.pop()!, h);
    this.peaks.push(h);
    this._size += width;
  }

  /** MTH of the tree so far. */
  root(): Hash {
    return foldRight(this.peaks);
  }
}

/** Which stored nodes are the peaks of a tree of `size` leaves. */
export function peakKeys(size: number): NodeKey[] {
  return rangeNodes(0, size);
}
