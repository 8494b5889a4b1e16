import { emptyRoot, largestPowerOfTwoBelow, nodeHash, type Hash } from './hash';

/**
 * The tree as the ledger stores it: for every COMPLETE subtree, its hash, keyed by
 * (level, index). Node (level, index) covers leaves [index·2^level, (index+1)·2^level); it is
 * complete, and stored, once the log has (index+1)·2^level leaves, and never changes after.
 * Level 0 node i is leaf i's hash.
 *
 * Every subtree the RFC 9162 recursions ask for, D[s:e), starts at a multiple of the power of
 * two at or above its size, so it splits into complete nodes by the binary decomposition of
 * e - s (largest first), and its hash is their right fold: MTH = H(c1, H(c2, … ck)). So a root,
 * an inclusion proof or a consistency proof needs O(log n) node reads, planned up front and
 * fetched in one batch.
 */
export interface NodeKey {
  level: number;
  index: number;
}

/** Fetches stored nodes in one go; must return the hashes in the order of `keys`. */
export type NodeReader = (keys: readonly NodeKey[]) => Promise<Uint8Array[]>;

export type Range = readonly [start: number, end: number];

export function nodeKeyString(k: NodeKey): string {
  return `${k.level}:${k.index}`;
}

/** The complete nodes whose right fold is MTH(D[start:end)), left to right. */
export function rangeNodes(start: number, end: number): NodeKey[] {
  const out: NodeKey[] = [];
  let s = start;
  while (s < end) {
    let size = 1;
    let level = 0;
    while (s % (size * 2) === 0 && s + size * 2 <= end) {
      size *= 2;
      level++;
    }
    out.push({ level, index: s / size });
    s += size;
  }
  return out;
}

/** The subtrees whose hashes make PATH(index, D[size]), in proof order (leaf end first). */
export function inclusionRanges(index: number, size: number): Range[] {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new RangeError(`leaf index ${index} is outside a tree of ${size} leaves`);
  }
  const out: Range[] = [];
  // Walk down from the root, remembering each sibling; the proof lists them bottom-up.
  let s = 0;
  let e = size;
  let m = index;
  while (e - s > 1) {
    const k = largestPowerOfTwoBelow(e - s);
    if (m < k) {
      out.push([s + k, e]);
      e = s + k;
    } else {
      out.push([s, s + k]);
      s += k;
      m -= k;
    }
  }
  return out.reverse();
}

/** The subtrees whose hashes make PROOF(first, D[second]), in proof order. */
export function consistencyRanges(first: number, second: number): Range[] {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 1 || first > second) {
    throw new RangeError(`consistency proof needs 0 < first ≤ second, got first ${first}, second ${second}`);
  }
  const out: Range[] = [];
  let s = 0;
  let e = second;
  let m = first;
  let complete = true;
  while (m !== e - s) {
    const k = largestPowerOfTwoBelow(e - s);
    if (m <= k) {
      out.push([s + k, e]);
      e = s + k;
    } else {
      out.push([s, s + k]);
      s += k;
      m -= k;
      complete = false;
    }
  }
  if (!complete) out.push([s, e]);
  return out.reverse();
}

/** Hashes of the given ranges, from ONE batched read of the nodes they need. */
export async function rangeHashes(ranges: readonly Range[], read: NodeReader): Promise<Hash[]> {
  const perRange = ranges.map(([s, e]) => rangeNodes(s, e));
  const unique = new Map<string, NodeKey>();
  for (const keys of perRange) for (const k of keys) unique.set(nodeKeyString(k), k);
  const keys = [...unique.values()];
  const hashes = keys.length ? await read(keys) : [];
  if (hashes.length !== keys.length) throw new Error(`node read returned ${hashes.length} hashes for ${keys.length} keys`);
  const byKey = new Map<string, Uint8Array>();
  keys.forEach((k, i) => byKey.set(nodeKeyString(k), hashes[i]));
  return perRange.map((nodes) => foldRight(nodes.map((k) => byKey.get(nodeKeyString(k))!)));
}

/** MTH of complete subtrees listed left to right (largest first). */
export function foldRight(hashes: readonly Uint8Array[]): Hash {
  if (hashes.length === 0) return emptyRoot();
  let acc: Hash = Buffer.from(hashes[hashes.length - 1]);
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i], acc);
  return acc;
}

/** MTH(D[size]) from stored nodes. */
export async function storedRootHash(size: number, read: NodeReader): Promise<Hash> {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`tree size ${size} is not a whole number ≥ 0`);
  if (size === 0) return emptyRoot();
  return (await rangeHashes([[0, size]], read))[0];
}

/** PATH(index, D[size]) from stored nodes. */
export async function storedInclusionProof(index: number, size: number, read: NodeReader): Promise<Hash[]> {
  return rangeHashes(inclusionRanges(index, size), read);
}

/** PROOF(first, D[second]) from stored nodes. */
export async function storedConsistencyProof(first: number, second: number, read: NodeReader): Promise<Hash[]> {
  return rangeHashes(consistencyRanges(first, second), read);
}

/** A NodeReader over an in-memory map (tests, and the verifier's own recomputed nodes). */
export function mapNodeReader(nodes: ReadonlyMap<string, Uint8Array>): NodeReader {
  return async (keys) =>
    keys.map((k) => {
      const h = nodes.get(nodeKeyString(k));
      if (!h) throw new Error(`node ${nodeKeyString(k)} is not stored`);
      return h;
    });
}
