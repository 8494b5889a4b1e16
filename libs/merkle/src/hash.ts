import crypto, { createHash } from 'node:crypto';

/** A 32-byte SHA-256 digest. Buffers are Uint8Arrays, so either may be passed in. */
export type Hash = Buffer;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

// One-shot hashing (Node ≥ 20.12) is about 1.5× faster than createHash for inputs this small;
// verifying a ledger is mostly these two functions.
const oneShot = typeof crypto.hash === 'function';

/**
 * One-shot SHA-256 as a Buffer. The digest is asked for as a latin1 string (one character per
 * byte, exact) and copied into a pooled Buffer: a Buffer answer gets its own backing store, which
 * costs more than hashing 300 bytes (≈ 1.8 against ≈ 0.9 µs a hash here; bench/notes.md "## ledger").
 */
function sha256(data: string | Uint8Array): Hash {
  // 'binary' is Node's other name for latin1 (the one the crypto typings accept)
  return Buffer.from(crypto.hash('sha256', data, 'binary'), 'latin1');
}

/** RFC 9162 §2.1.1: the hash of a leaf, SHA-256(0x00 ‖ data); a string is hashed as UTF-8. */
export function leafHash(data: Uint8Array | string): Hash {
  if (oneShot && typeof data === 'string') return sha256(`\0${data}`);
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

// One scratch buffer for every node hash of two 32-byte children: crypto.hash is synchronous,
// so it is never shared between two calls in flight (no allocation per node).
const NODE_SCRATCH = Buffer.alloc(65, 0x01);

/** RFC 9162 §2.1.1: the hash of an interior node, SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Hash {
  if (oneShot) {
    if (left.length === 32 && right.length === 32) {
      NODE_SCRATCH.set(left, 1);
      NODE_SCRATCH.set(right, 33);
      return sha256(NODE_SCRATCH);
    }
    const buf = Buffer.allocUnsafe(1 + left.length + right.length);
    buf[0] = 0x01;
    buf.set(left, 1);
    buf.set(right, 1 + left.length);
    return sha256(buf);
  }
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** RFC 9162 §2.1.1: the hash of the empty tree, SHA-256(""). */
export function emptyRoot(): Hash {
  return createHash('sha256').digest();
}

export function hashEquals(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** The largest power of two strictly smaller than n (n ≥ 2): the split point k of RFC 9162 §2.1.1. */
export function largestPowerOfTwoBelow(n: number): number {
  if (!Number.isSafeInteger(n) || n < 2) throw new RangeError(`split point needs n ≥ 2, got ${n}`);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
