import { asText, decodeBase64Strict } from './encoding';
import { NoteFormatError } from './errors';
import { isValidKeyName, keyHashHex, type NoteSigner, type NoteVerifier } from './keys';

/** One signature line: `— <name> base64(key ID || signature)`. */
export interface NoteSignature {
  name: string;
  keyHash: number;
  /** the bytes after the key ID */
  signature: Buffer;
  /** the line as it appeared, without its newline (re-emitted verbatim) */
  line: string;
}

export interface ParsedNote {
  /** the note text, including its final newline, excluding the blank separator line */
  text: string;
  signatures: NoteSignature[];
}

export interface OpenedNote extends ParsedNote {
  /** signatures from known keys, each verified */
  verified: NoteSignature[];
  /** signatures from keys the caller did not name (ignored, per signed-note) */
  unverified: NoteSignature[];
}

const EM_DASH_SPACE = '\u2014 ';
/** Beyond the spec's floor of 16: Go's x/mod note refuses more than 100. */
export const MAX_SIGNATURES = 100;
export const MAX_NOTE_BYTES = 1 << 20;

/**
 * Splits a signed note into its text and signature lines without verifying anything. Refuses:
 * invalid UTF-8, ASCII control characters other than newline, no blank line before the
 * signatures, an empty or unterminated signature block, a line not starting with "— ", an invalid
 * key name, non-canonical base64, fewer than 5 signature bytes, more than 100 signatures.
 */
export function parseNote(input: string | Uint8Array): ParsedNote {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if (bytes > MAX_NOTE_BYTES) throw new NoteFormatError('too-large', `a note may be at most ${MAX_NOTE_BYTES} bytes, got ${bytes}`);
  const msg = asText(input, 'the note');
  // SPEC (signed-note): MUST NOT contain any ASCII control characters other than newline.
  const ctl = msg.search(/[\u0000-\u0009\u000b-\u001f]/);
  if (ctl >= 0) throw new NoteFormatError('control-character', `the note contains a control character at offset ${ctl}`);
  // SPEC: the text is separated from the signatures by the last empty line.
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) throw new NoteFormatError('no-signature-block', 'the note has no blank line before its signatures');
  const text = msg.slice(0, split + 1);
  const block = msg.slice(split + 2);
  if (block.length === 0 || !block.endsWith('\n')) throw new NoteFormatError('no-signature-block', 'the signature block is empty or does not end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new NoteFormatError('too-many-signatures', `a note may carry at most ${MAX_SIGNATURES} signatures, got ${lines.length}`);
  const signatures = lines.map((line, i) => parseSignatureLine(line, i + 1));
  return { text, signatures };
}

export function parseSignatureLine(line: string, lineNo = 1): NoteSignature {
  if (!line.startsWith(EM_DASH_SPACE)) throw new NoteFormatError('bad-signature-line', `signature line ${lineNo} does not start with "— "`);
  const rest = line.slice(EM_DASH_SPACE.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw new NoteFormatError('bad-signature-line', `signature line ${lineNo} has no space between key name and signature`);
  const name = rest.slice(0, space);
  if (!isValidKeyName(name)) throw new NoteFormatError('bad-key-name', `signature line ${lineNo}: the key name is empty or contains a space or "+"`);
  const raw = decodeBase64Strict(rest.slice(space + 1), `signature line ${lineNo} (${name})`);
  if (raw.length < 5) throw new NoteFormatError('signature-too-short', `signature line ${lineNo} (${name}) carries ${raw.length} bytes; a key ID and a signature need at least 5`);
  return { name, keyHash: raw.readUInt32BE(0), signature: Buffer.from(raw.subarray(4)), line };
}

/**
 * Opens a signed note against known keys: a signature whose (name, key ID) matches a known key
 * MUST verify (else the whole note is refused); others are ignored; at least one known key MUST
 * have signed. Duplicate lines of one key are verified once, as Go's note.Open does.
 */
export function openNote(input: string | Uint8Array, known: readonly NoteVerifier[]): OpenedNote {
  const note = parseNote(input);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const sig of note.signatures) {
    const v = known.find((k) => k.name === sig.name && k.keyHash === sig.keyHash);
    if (!v) {
      unverified.push(sig);
      continue;
    }
    const id = `${sig.name}\n${sig.keyHash}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (!v.verify(note.text, sig.signature)) throw new NoteFormatError('invalid-signature', `the signature of ${sig.name} (key ID ${keyHashHex(sig.keyHash)}) does not verify`);
    verified.push(sig);
  }
  if (verified.length === 0) {
    const names = [...new Set(known.map((k) => k.name))].join(', ') || 'none';
    throw new NoteFormatError('no-trusted-signature', `the note carries no signature from a trusted key (trusted: ${names})`);
  }
  return { ...note, verified, unverified };
}

/** The signature line of `signer` over `text`: `— <name> base64(key ID || sig)`. */
export function signatureLine(signer: NoteSigner, text: string): string {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(signer.keyHash >>> 0);
  return `${EM_DASH_SPACE}${signer.name} ${Buffer.concat([id, signer.sign(text)]).toString('base64')}`;
}

/** Signs `text` (which must end in a newline) with each signer: the serialized signed note. */
export function signNote(text: string, signers: readonly NoteSigner[], existing: readonly NoteSignature[] = []): string {
  assertNoteText(text);
  if (signers.length + existing.length === 0) throw new NoteFormatError('no-signature-block', 'a signed note needs at least one signature');
  const lines = [...existing.map((s) => s.line), ...signers.map((s) => signatureLine(s, text))];
  return `${text}\n${lines.join('\n')}\n`;
}

/** Adds signature lines (e.g. a witness's cosignatures) to a signed note, keeping its own. */
export function appendSignatures(note: string, lines: readonly string[]): string {
  const parsed = parseNote(note);
  for (const [i, l] of lines.entries()) parseSignatureLine(l, i + 1);
  const have = new Set(parsed.signatures.map((s) => s.line));
  const added = lines.filter((l) => !have.has(l));
  return `${parsed.text}\n${[...parsed.signatures.map((s) => s.line), ...added].join('\n')}\n`;
}

export function assertNoteText(text: string): void {
  asText(text, 'the note text');
  if (!text.endsWith('\n')) throw new NoteFormatError('bad-checkpoint', 'note text must end with a newline');
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) throw new NoteFormatError('control-character', 'note text contains a control character');
}
