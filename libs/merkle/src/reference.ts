import { emptyRoot, hashEquals, largestPowerOfTwoBelow, nodeHash, type Hash } from './hash';

/**
 * The reference definitions of RFC 9162 §2.1, written literally and recursively, over the
 * LEAF HASHES of the log (leafHash(entry) for each entry, in order). They rehash whatever
 * they are given: use them for tests and for small trees; the service uses stored-nodes.ts.
 */

/** MTH(D[n]): the Merkle Tree Hash of the leaves (RFC 9162 §2.1.1). */
export function rootHash(leaves: readonly Uint8Array[]): Hash {
  const n = leaves.length;
  if (n === 0) return emptyRoot();
  if (n === 1) return Buffer.from(leaves[0]);
  const k = largestPowerOfTwoBelow(n);
  return nodeHash(rootHash(leaves.slice(0, k)), rootHash(leaves.slice(k)));
}

/** PATH(m, D[n]): the inclusion proof (audit path) of leaf m (RFC 9162 §2.1.3.1). */
export function inclusionProof(index: number, leaves: readonly Uint8Array[]): Hash[] {
  const n = leaves.length;
  if (!Number.isSafeInteger(index) || index < 0 || index >= n) throw new RangeError(`leaf index ${index} is outside a tree of ${n} leaves`);
  if (n === 1) return [];
  const k = largestPowerOfTwoBelow(n);
  if (index < k) return [...inclusionProof(index, leaves.slice(0, k)), rootHash(leaves.slice(k))];
  return [...inclusionProof(index - k, leaves.slice(k)), rootHash(leaves.slice(0, k))];
}

/** PROOF(m, D[n]): the consistency proof from the first m leaves to all n (RFC 9162 §2.1.4.1). */
export function consistencyProof(m: number, leaves: readonly Uint8Array[]): Hash[] {
  const n = leaves.length;
  if (!Number.isSafeInteger(m) || m < 1 || m > n) throw new RangeError(`consistency proof needs 0 < first ≤ second, got first ${m}, second ${n}`);
  return subproof(m, leaves, true);
}

function subproof(m: number, leaves: readonly Uint8Array[], complete: boolean): Hash[] {
  const n = leaves.length;
  if (m === n) return complete ? [] : [rootHash(leaves)];
  const k = largestPowerOfTwoBelow(n);
  if (m <= k) return [...subproof(m, leaves.slice(0, k), complete), rootHash(leaves.slice(k))];
  return [...subproof(m - k, leaves.slice(k), false), rootHash(leaves.slice(0, k))];
}

const isOdd = (x: number) => x % 2 === 1;
const half = (x: number) => Math.floor(x / 2);

/**
 * RFC 9162 §2.1.3.2: verifies that `leaf` is at `index` in the tree of `treeSize` leaves whose
 * root is `root`. Arithmetic instead of bit operators, so sizes beyond 2^32 work.
 */
export function verifyInclusion(leaf: Uint8Array, index: number, treeSize: number, path: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r: Uint8Array = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && hashEquals(r, root);
}

/**
 * RFC 9162 §2.1.4.2: verifies that the tree of `first` leaves with root `firstRoot` is a prefix
 * of the tree of `second` leaves with root `secondRoot`. first == second needs an empty proof
 * and equal roots (PROOF(m, D[m]) is empty).
 */
export function verifyConsistency(first: number, second: number, firstRoot: Uint8Array, secondRoot: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 1 || first > second) return false;
  if (first === second) return proof.length === 0 && hashEquals(firstRoot, secondRoot);
  if (proof.length === 0) return false;
  const path: Uint8Array[] = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Uint8Array = path[0];
  let sr: Uint8Array = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && hashEquals(fr, firstRoot) && hashEquals(sr, secondRoot);
}

export function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  while (n % 2 === 0) n /= 2;
  return n === 1;
}
