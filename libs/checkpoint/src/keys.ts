import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { decodeBase64Strict } from './encoding';
import { NoteFormatError } from './errors';

/** c2sp.org/signed-note signature types this module speaks. */
export const SIG_ED25519 = 0x01;
/** c2sp.org/tlog-cosignature: timestamped Ed25519 checkpoint cosignature (cosignature/v1). */
export const SIG_COSIGNATURE_V1 = 0x04;
export type SignatureType = typeof SIG_ED25519 | typeof SIG_COSIGNATURE_V1;

/** Signs note text (a log key, type 0x01) or a checkpoint body (a cosigner, type 0x04). */
export interface NoteSigner {
  readonly name: string;
  readonly keyHash: number;
  readonly type: SignatureType;
  /** The signature bytes that follow the 4-byte key ID in a signature line. */
  sign(text: string): Buffer;
}

/** Checks the signature bytes (after the key ID) of one signature line over the note text. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyHash: number;
  readonly type: SignatureType;
  readonly publicKey: Buffer;
  verify(text: string, sig: Buffer): boolean;
}

/**
 * Key names MUST be non-empty and MUST NOT contain Unicode spaces or "+" (signed-note §Format).
 * \s in a Unicode regex is the White_Space property plus U+FEFF, a superset of Go's unicode.IsSpace.
 */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && !/[\u0000-\u001f]/.test(name);
}

export function assertKeyName(name: string): void {
  if (!isValidKeyName(name)) throw new NoteFormatError('bad-key-name', 'a key name must be non-empty, without spaces, "+" or control characters');
}

/** key ID = SHA-256(key name || 0x0A || signature type || public key)[:4], big-endian uint32. */
export function keyHash(name: string, type: number, publicKey: Uint8Array): number {
  const h = createHash('sha256').update(name, 'utf8').update(Buffer.from([0x0a, type])).update(publicKey).digest();
  return h.readUInt32BE(0);
}

export function keyHashHex(hash: number): string {
  return (hash >>> 0).toString(16).padStart(8, '0');
}

// RFC 8410 DER prefixes: an Ed25519 key is these bytes followed by the raw 32-byte seed / public key.
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new NoteFormatError('bad-private-key', `an Ed25519 seed is 32 bytes, got ${seed.length}`);
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
}

function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new NoteFormatError('bad-vkey', `an Ed25519 public key is 32 bytes, got ${raw.length}`);
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
}

function rawPublicKey(privateKey: KeyObject): Buffer {
  return createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length);
}

/** An Ed25519 key pair for a note signer: the seed is the secret, the public key goes in a vkey. */
export interface Ed25519KeyPair {
  name: string;
  type: SignatureType;
  seed: Buffer;
  publicKey: Buffer;
}

export function generateKeyPair(name: string, type: SignatureType): Ed25519KeyPair {
  assertKeyName(name);
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519.length);
  return { name, type, seed: Buffer.from(seed), publicKey: rawPublicKey(privateKey) };
}

/** `<name>+<hex key ID>+<base64(type || public key)>` (signed-note §Verifier keys). */
export function formatVkey(name: string, type: SignatureType, publicKey: Uint8Array): string {
  assertKeyName(name);
  return `${name}+${keyHashHex(keyHash(name, type, publicKey))}+${Buffer.concat([Buffer.from([type]), publicKey]).toString('base64')}`;
}

export interface ParsedVkey {
  name: string;
  keyHash: number;
  type: SignatureType;
  publicKey: Buffer;
}

/** Parses a vkey, refusing an unknown type, a wrong key length or a key ID that is not the key's. */
export function parseVkey(vkey: string): ParsedVkey {
  const first = vkey.indexOf('+');
  if (first < 0) throw new NoteFormatError('bad-vkey', 'a vkey is <name>+<key ID hex>+<base64 key>, found no "+"');
  const name = vkey.slice(0, first);
  if (!isValidKeyName(name)) throw new NoteFormatError('bad-vkey', 'the vkey key name is empty or contains a space or control character');
  const rest = vkey.slice(first + 1);
  const second = rest.indexOf('+');
  const hashHex = second < 0 ? rest : rest.slice(0, second);
  if (second < 0 || !/^[0-9a-f]{8}$/.test(hashHex)) throw new NoteFormatError('bad-vkey', `vkey of ${name}: the key ID must be 8 lowercase hex digits followed by "+"`);
  let material: Buffer;
  try {
    material = decodeBase64Strict(rest.slice(second + 1), `vkey of ${name}: the key`);
  } catch (e) {
    throw new NoteFormatError('bad-vkey', (e as Error).message);
  }
  if (material.length < 1) throw new NoteFormatError('bad-vkey', `vkey of ${name}: no key material`);
  const type = material[0];
  if (type !== SIG_ED25519 && type !== SIG_COSIGNATURE_V1) throw new NoteFormatError('bad-vkey', `vkey of ${name}: unsupported signature type 0x${type.toString(16).padStart(2, '0')} (supported: 0x01 Ed25519, 0x04 cosignature/v1)`);
  const publicKey = material.subarray(1);
  if (publicKey.length !== 32) throw new NoteFormatError('bad-vkey', `vkey of ${name}: an Ed25519 public key is 32 bytes, got ${publicKey.length}`);
  const hash = parseInt(hashHex, 16) >>> 0;
  if (hash !== keyHash(name, type, publicKey)) throw new NoteFormatError('bad-vkey', `vkey of ${name}: the key ID ${hashHex} is not the hash of this name and key`);
  return { name, keyHash: hash, type, publicKey: Buffer.from(publicKey) };
}

/**
 * The private key file: `PRIVATE+KEY+<name>+<hex key ID>+<base64(type || 32-byte seed)>`, the
 * shape of Go's note.GenerateKey output (Go's own reader accepts only type 0x01 there).
 */
export function formatPrivateKey(pair: Ed25519KeyPair): string {
  assertKeyName(pair.name);
  const hash = keyHashHex(keyHash(pair.name, pair.type, pair.publicKey));
  return `PRIVATE+KEY+${pair.name}+${hash}+${Buffer.concat([Buffer.from([pair.type]), pair.seed]).toString('base64')}`;
}

export function parsePrivateKey(text: string): Ed25519KeyPair {
  const s = text.trim();
  if (!s.startsWith('PRIVATE+KEY+')) throw new NoteFormatError('bad-private-key', 'a private key starts with PRIVATE+KEY+');
  // Same layout as a vkey once the prefix is gone, with a seed where the public key would be;
  // parse it by hand since the key ID is over the public key, not the seed.
  const body = s.slice('PRIVATE+KEY+'.length);
  const first = body.indexOf('+');
  const second = body.indexOf('+', first + 1);
  if (first <= 0 || second < 0) throw new NoteFormatError('bad-private-key', 'a private key is PRIVATE+KEY+<name>+<key ID>+<base64 key>');
  const name = body.slice(0, first);
  if (!isValidKeyName(name)) throw new NoteFormatError('bad-private-key', 'the private key name is empty or contains a space');
  const hashHex = body.slice(first + 1, second);
  const material = decodeBase64Strict(body.slice(second + 1), 'the private key');
  const type = material[0];
  if (type !== SIG_ED25519 && type !== SIG_COSIGNATURE_V1) throw new NoteFormatError('bad-private-key', `unsupported private key type 0x${(type ?? 0).toString(16)}`);
  const seed = material.subarray(1);
  const publicKey = rawPublicKey(privateKeyFromSeed(seed));
  if (!/^[0-9a-f]{8}$/.test(hashHex) || parseInt(hashHex, 16) >>> 0 !== keyHash(name, type, publicKey)) throw new NoteFormatError('bad-private-key', `private key of ${name}: the key ID does not match the key`);
  return { name, type, seed: Buffer.from(seed), publicKey };
}

/** Ed25519 note signer (type 0x01): signs the note text itself. */
export function ed25519Signer(pair: Ed25519KeyPair): NoteSigner {
  if (pair.type !== SIG_ED25519) throw new NoteFormatError('bad-private-key', `${pair.name} is not an Ed25519 note key (type 0x01)`);
  const key = privateKeyFromSeed(pair.seed);
  return { name: pair.name, type: SIG_ED25519, keyHash: keyHash(pair.name, SIG_ED25519, pair.publicKey), sign: (text) => sign(null, Buffer.from(text, 'utf8'), key) };
}

/** Ed25519 note verifier (type 0x01). */
export function ed25519Verifier(name: string, publicKey: Uint8Array): NoteVerifier {
  assertKeyName(name);
  const key = publicKeyFromRaw(publicKey);
  return {
    name,
    type: SIG_ED25519,
    keyHash: keyHash(name, SIG_ED25519, publicKey),
    publicKey: Buffer.from(publicKey),
    verify: (text, sig) => sig.length === 64 && verify(null, Buffer.from(text, 'utf8'), key, sig),
  };
}

/** Internal: raw Ed25519 sign/verify for the cosignature module. */
export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Buffer {
  return sign(null, message, privateKeyFromSeed(seed));
}

export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array): boolean {
  return sig.length === 64 && verify(null, message, publicKeyFromRaw(publicKey), sig);
}

export { publicKeyFromRaw, privateKeyFromSeed };
