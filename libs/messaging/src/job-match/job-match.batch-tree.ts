import { hashEquals, leafHash, nodeHash, verifyInclusion, type Hash } from '@passerelle/merkle';

/**
 * The Merkle math of batch-signed job-match events (docs/contract.md §6.1): leaves, the RFC 9162
 * tree over a batch, inclusion paths and their wire form. Pure functions; no key, no I/O.
 */

/**
 * At most this many events under one batch signature: the CLI's largest `--batch-size`. It bounds
 * the path to 14 hashes (the `x-batch-proof` header to ~640 bytes) and what the consumer remembers
 * of one batch (which event id sits at which leaf) to 10,000 entries.
 */
export const MAX_BATCH_SIZE = 10_000;
const HASH_B64_LENGTH = 43; // base64url of 32 bytes, unpadded
const INDEX = /^(0|[1-9][0-9]{0,8})$/;
const HASH_B64 = /^[A-Za-z0-9_-]{43}$/;

/**
 * The leaf of an event: SHA-256(0x00 ‖ JCS({event_id, iss, value_sha256})), i.e. the claims of a
 * per-event signature in canonical (RFC 8785) form, so an event attests the same in both ways.
 */
export function jobMatchLeaf(iss: string, eventId: string, valueSha256: string): Hash {
  // JCS: members sorted by name; these values are strings, which JCS escapes as JSON.stringify does.
  return leafHash(`{"event_id":${JSON.stringify(eventId)},"iss":${JSON.stringify(iss)},"value_sha256":${JSON.stringify(valueSha256)}}`);
}

/** The number of hashes RFC 9162 §2.1.3.1 gives for the path of leaf `index` in a tree of `size` leaves. */
export function proofLength(index: number, size: number): number {
  let n = 0;
  let i = index;
  let s = size;
  while (s > 1) {
    let k = 1;
    while (k * 2 < s) k *= 2;
    if (i < k) s = k;
    else {
      i -= k;
      s -= k;
    }
    n++;
  }
  return n;
}

/**
 * The root and every leaf's inclusion path of the RFC 9162 tree over `leaves`, in O(n log n):
 * built level by level, a level's odd last node carried up unchanged (which is the tree whose split
 * is the largest power of two below n).
 */
export function batchTree(leaves: readonly Hash[]): { root: Hash; paths: Hash[][] } {
  if (leaves.length === 0) throw new RangeError('a batch has at least one event');
  const paths: Hash[][] = leaves.map(() => []);
  // position of each leaf's ancestor in the current level
  const at = leaves.map((_, i) => i);
  let level: Hash[] = [...leaves];
  while (level.length > 1) {
    for (let leaf = 0; leaf < at.length; leaf++) {
      const p = at[leaf];
      const sibling = p % 2 === 1 ? p - 1 : p + 1;
      if (sibling < level.length) paths[leaf].push(level[sibling]);
      at[leaf] = Math.floor(p / 2);
    }
    const next: Hash[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i], level[i + 1]));
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
  }
  return { root: level[0], paths };
}

/** `x-batch-proof`: `<leaf index>.<path hashes as base64url joined by ~>` (leaf to root). */
export function encodeBatchProof(index: number, path: readonly Uint8Array[]): string {
  return `${index}.${path.map((h) => Buffer.from(h).toString('base64url')).join('~')}`;
}

export type ParsedBatchProof = { ok: true; index: number; path: Hash[] } | { ok: false; detail: string };

/** Parses `x-batch-proof` strictly (canonical decimal index, exactly 32-byte hashes, at most 14 of them). */
export function parseBatchProof(text: string): ParsedBatchProof {
  const dot = text.indexOf('.');
  if (dot < 0 || !INDEX.test(text.slice(0, dot))) return { ok: false, detail: 'x-batch-proof is not <leaf index>.<path>' };
  const index = Number(text.slice(0, dot));
  const rest = text.slice(dot + 1);
  if (rest === '') return { ok: true, index, path: [] };
  const parts = rest.split('~', proofLength(MAX_BATCH_SIZE - 1, MAX_BATCH_SIZE) + 2);
  if (parts.length > proofLength(MAX_BATCH_SIZE - 1, MAX_BATCH_SIZE) + 1) return { ok: false, detail: 'x-batch-proof has more hashes than a batch of the largest size needs' };
  const path: Hash[] = [];
  for (const p of parts) {
    if (p.length !== HASH_B64_LENGTH || !HASH_B64.test(p)) return { ok: false, detail: 'x-batch-proof holds a hash that is not 32 bytes of base64url' };
    path.push(Buffer.from(p, 'base64url'));
  }
  return { ok: true, index, path };
}

/** Whether `path` leads from `leaf` at `index` to `root` in a tree of `size` leaves (RFC 9162 §2.1.3.2). */
export function leadsToRoot(leaf: Hash, index: number, size: number, path: readonly Hash[], root: Hash): boolean {
  if (size === 1) return index === 0 && path.length === 0 && hashEquals(leaf, root);
  return verifyInclusion(leaf, index, size, path, root);
}
