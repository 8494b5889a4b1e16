import { createHash } from 'node:crypto';
import { asText, decodeBase64Strict } from './encoding';
import { NoteFormatError } from './errors';
import type { NoteSigner, NoteVerifier } from './keys';
import { openNote, signNote, type OpenedNote } from './note';

/** c2sp.org/tlog-checkpoint note text: a Merkle tree head. */
export interface Checkpoint {
  origin: string;
  /** tree size; this implementation bounds it to 2^53-1 (a JS safe integer), as libs/merkle does */
  size: number;
  /** RFC 6962 SHA-256 root hash, 32 bytes */
  rootHash: Buffer;
  /** opaque, non-empty; NOT RECOMMENDED by the spec */
  extensions: string[];
}

/** SHA-256 of the empty string: the root of the empty tree (RFC 6962 §2.1). */
export const EMPTY_TREE_ROOT = createHash('sha256').digest();

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Parses a decimal with no leading zeroes into a safe integer; `what` names the field in errors. */
export function parseDecimal(s: string, what: string): number {
  if (!DECIMAL.test(s)) throw new NoteFormatError('bad-checkpoint', `${what} must be decimal digits with no leading zeroes`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new NoteFormatError('bad-checkpoint', `${what} exceeds 2^53-1, the largest size this implementation handles`);
  return n;
}

/** The checkpoint body: origin, size, base64 root, extension lines, each newline-terminated. */
export function formatCheckpoint(cp: Checkpoint): string {
  if (cp.origin.length === 0 || /[\n\u0000-\u001f]/.test(cp.origin)) throw new NoteFormatError('bad-checkpoint', 'the origin must be a non-empty line without control characters');
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw new NoteFormatError('bad-checkpoint', `the tree size must be a non-negative integer (got ${cp.size})`);
  if (cp.rootHash.length !== 32) throw new NoteFormatError('bad-checkpoint', `the root hash must be 32 bytes (got ${cp.rootHash.length})`);
  for (const e of cp.extensions) {
    if (e.length === 0 || /[\n\u0000-\u001f]/.test(e)) throw new NoteFormatError('bad-checkpoint', 'extension lines must be non-empty single lines');
  }
  return [cp.origin, String(cp.size), Buffer.from(cp.rootHash).toString('base64'), ...cp.extensions].map((l) => `${l}\n`).join('');
}

/**
 * Parses checkpoint note text (not the signatures): at least three non-empty lines, each ending in
 * a newline; size in decimal without leading zeroes; root hash 32 bytes of canonical base64.
 */
export function parseCheckpoint(input: string | Uint8Array): Checkpoint {
  const text = asText(input, 'the checkpoint');
  if (!text.endsWith('\n')) throw new NoteFormatError('bad-checkpoint', 'the checkpoint text must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new NoteFormatError('bad-checkpoint', `a checkpoint has at least 3 lines (origin, size, root hash), got ${lines.length}`);
  const empty = lines.findIndex((l) => l.length === 0);
  if (empty >= 0) throw new NoteFormatError('bad-checkpoint', `checkpoint line ${empty + 1} is empty; every line must be non-empty`);
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) throw new NoteFormatError('control-character', 'the checkpoint contains a control character');
  const [origin, sizeLine, rootLine, ...extensions] = lines;
  const size = parseDecimal(sizeLine, 'the tree size (line 2)');
  const rootHash = decodeBase64Strict(rootLine, 'the root hash (line 3)');
  if (rootHash.length !== 32) throw new NoteFormatError('bad-checkpoint', `the root hash must be 32 bytes (SHA-256), got ${rootHash.length}`);
  return { origin, size, rootHash, extensions };
}

export function signCheckpoint(cp: Checkpoint, signers: readonly NoteSigner[]): string {
  return signNote(formatCheckpoint(cp), signers);
}

export interface OpenedCheckpoint {
  checkpoint: Checkpoint;
  note: OpenedNote;
}

/**
 * Verifies a signed checkpoint with the log's key(s) and parses its body; the origin line must
 * equal `origin` (a verifier keyed by origin must never accept another log's checkpoint).
 */
export function openCheckpoint(input: string | Uint8Array, origin: string, logKeys: readonly NoteVerifier[]): OpenedCheckpoint {
  const note = openNote(input, logKeys);
  const checkpoint = parseCheckpoint(note.text);
  if (checkpoint.origin !== origin) throw new NoteFormatError('bad-checkpoint', `the checkpoint is for another log than ${origin}`);
  return { checkpoint, note };
}

/** The first line of a note, read before anything is verified (to pick the keys to verify with). */
export function originOf(input: string | Uint8Array): string {
  const text = asText(input, 'the checkpoint');
  const nl = text.indexOf('\n');
  if (nl <= 0) throw new NoteFormatError('bad-checkpoint', 'the checkpoint has no origin line');
  return text.slice(0, nl);
}
