import { decodeBase64Strict, u64be } from './encoding';
import { NoteFormatError } from './errors';
import { ed25519Sign, ed25519Verify, keyHash, SIG_COSIGNATURE_V1, type Ed25519KeyPair, type NoteSigner, type NoteVerifier } from './keys';
import { parseNote, signatureLine, type NoteSignature } from './note';
import { parseCheckpoint } from './checkpoint';

/** c2sp.org/tlog-cosignature: the timestamp MUST NOT exceed 2^63 - 1. */
const MAX_TIMESTAMP = (1n << 63n) - 1n;

/** `cosignature/v1\ntime <t>\n` followed by the whole checkpoint body (with its final newline). */
export function cosignatureMessage(checkpointText: string, timestamp: number): Buffer {
  assertTimestamp(timestamp);
  if (!checkpointText.endsWith('\n')) throw new NoteFormatError('bad-checkpoint', 'the checkpoint body must end with a newline');
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`, 'utf8');
}

function assertTimestamp(t: number): void {
  if (!Number.isSafeInteger(t) || t < 0) throw new NoteFormatError('bad-cosignature', `a cosignature timestamp is a non-negative integer of POSIX seconds (got ${t})`);
}

/** A cosigner (type 0x04): signs checkpoint bodies at a timestamp given by `now` (POSIX seconds). */
export interface Cosigner extends NoteSigner {
  /** The cosignature line over `checkpointText` at `timestamp`. */
  cosign(checkpointText: string, timestamp: number): string;
}

export function cosigner(pair: Ed25519KeyPair, now: () => number = () => Math.floor(Date.now() / 1000)): Cosigner {
  if (pair.type !== SIG_COSIGNATURE_V1) throw new NoteFormatError('bad-private-key', `${pair.name} is not a cosigner key (type 0x04)`);
  const hash = keyHash(pair.name, SIG_COSIGNATURE_V1, pair.publicKey);
  const signAt = (text: string, t: number) => {
    // The cosigner states what it observed about a checkpoint: refuse to sign anything else.
    parseCheckpoint(text);
    return Buffer.concat([u64be(t), ed25519Sign(pair.seed, cosignatureMessage(text, t))]);
  };
  const self: Cosigner = {
    name: pair.name,
    type: SIG_COSIGNATURE_V1,
    keyHash: hash,
    sign: (text) => signAt(text, now()),
    cosign: (text, t) => signatureLine({ ...self, sign: (x) => signAt(x, t) }, text),
  };
  return self;
}

/** The timestamp of a cosignature (its first 8 bytes), refusing a malformed one. */
export function cosignatureTimestamp(sig: Buffer): number {
  if (sig.length !== 72) throw new NoteFormatError('bad-cosignature', `an Ed25519 cosignature is 8 + 64 bytes, got ${sig.length}`);
  const t = sig.readBigUInt64BE(0);
  if (t > MAX_TIMESTAMP) throw new NoteFormatError('bad-cosignature', 'the cosignature timestamp exceeds 2^63-1');
  if (t > BigInt(Number.MAX_SAFE_INTEGER)) throw new NoteFormatError('bad-cosignature', 'the cosignature timestamp exceeds 2^53-1 seconds');
  return Number(t);
}

/** Verifies cosignature/v1 signatures (type 0x04) of one cosigner over a checkpoint note's text. */
export function cosignatureVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  const hash = keyHash(name, SIG_COSIGNATURE_V1, publicKey);
  return {
    name,
    type: SIG_COSIGNATURE_V1,
    keyHash: hash,
    publicKey: Buffer.from(publicKey),
    verify(text, sig) {
      let t: number;
      try {
        t = cosignatureTimestamp(sig);
      } catch {
        return false;
      }
      return ed25519Verify(publicKey, cosignatureMessage(text, t), sig.subarray(8));
    },
  };
}

export interface VerifiedCosignature {
  name: string;
  keyHash: number;
  timestamp: number;
  signature: NoteSignature;
}

/**
 * The cosignatures of `witnesses` present on a signed checkpoint, each verified. A line whose
 * name and key ID match a witness but does not verify is an error naming that witness.
 */
export function verifyCosignatures(note: string | Uint8Array, witnesses: readonly NoteVerifier[]): VerifiedCosignature[] {
  const parsed = parseNote(note);
  const out: VerifiedCosignature[] = [];
  for (const sig of parsed.signatures) {
    const w = witnesses.find((k) => k.name === sig.name && k.keyHash === sig.keyHash && k.type === SIG_COSIGNATURE_V1);
    if (!w || out.some((o) => o.name === w.name && o.keyHash === w.keyHash)) continue;
    if (!w.verify(parsed.text, sig.signature)) throw new NoteFormatError('invalid-signature', `the cosignature of ${w.name} does not verify`);
    out.push({ name: w.name, keyHash: w.keyHash, timestamp: cosignatureTimestamp(sig.signature), signature: sig });
  }
  return out;
}

/** Decodes one cosignature line (as a witness returns it) into its parts, without verifying. */
export function parseCosignatureLine(line: string): { name: string; keyHash: number; timestamp: number; signature: Buffer } {
  const trimmed = line.endsWith('\n') ? line.slice(0, -1) : line;
  const rest = trimmed.startsWith('\u2014 ') ? trimmed.slice(2) : '';
  const space = rest.indexOf(' ');
  if (space <= 0) throw new NoteFormatError('bad-signature-line', 'a cosignature line is "— <name> <base64>"');
  const raw = decodeBase64Strict(rest.slice(space + 1), 'the cosignature');
  if (raw.length !== 76) throw new NoteFormatError('bad-cosignature', `a cosignature line carries 4 + 8 + 64 bytes, got ${raw.length}`);
  return { name: rest.slice(0, space), keyHash: raw.readUInt32BE(0), timestamp: cosignatureTimestamp(raw.subarray(4)), signature: raw.subarray(12) };
}
