import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ensureSecretsDir, readJsonFile, writeSecretFile } from './secret-files';
import { rotatePseudonymKeyVersion } from './pseudonym-rotation';

/**
 * Pseudonyms, one per agency (like Austria's sector-specific identifiers):
 *
 * - internal id  = "i_" + b64url(HMAC-SHA256(internalKey, normalised clientId))[:22 chars = 128 bits].
 *   Only the gateway holds internalKey; the raw clientId is dropped right after.
 * - agency pseudonym = "p" + version + "_" + b64url(nonce ‖ AES-256-GCM(agencyKey_v, nonce, internalId, aad=agencyId) ‖ tag)
 *   with nonce = HMAC(nonceKey_v, agencyId ‖ internalId)[:12] (a synthetic IV, so the pseudonym is stable).
 *
 * So the same person has a different, stable pseudonym for every agency; only the gateway can
 * translate (decrypt), with no lookup table; a pseudonym presented by another agency than the
 * one it was issued to, or a guessed one, fails authentication and reads as "not found".
 * Keys are versioned: new pseudonyms use the newest version, older versions still translate.
 * The internal key is not rotated in service (stored data is keyed by internal ids): docs/pseudonyms.md
 * designs its maintenance-window rotation.
 */
export interface PseudonymKeyVersion {
  version: number;
  agencyKey: Buffer; // 32 bytes, AES-256-GCM
  nonceKey: Buffer; // 32 bytes, HMAC
  createdAt: string;
}

export interface PseudonymKeyring {
  internalKey: Buffer;
  current: PseudonymKeyVersion;
  versions: Map<number, PseudonymKeyVersion>;
}

interface KeyringFile {
  internalKey: string;
  versions: Array<{ version: number; agencyKey: string; nonceKey: string; createdAt: string }>;
}

const FILE = 'pseudonym-keys.json';
const INTERNAL_ID = /^i_[A-Za-z0-9_-]{22}$/;
// Canonical spellings only: 44 bytes are exactly 59 base64url characters, and the version has no
// leading zero ("p1_", never "p01_"). The byte check is in fromAgencyPseudonym.
const AGENCY_PSEUDONYM = /^p([1-9][0-9]{0,2})_([A-Za-z0-9_-]{59})$/;

/** Normalises a provider's client id before hashing: trims, uppercases, drops separators. */
export function normaliseClientId(clientId: string): string {
  return clientId.normalize('NFKC').trim().toUpperCase().replace(/[\s\-_.]/g, '');
}

export function toInternalId(keyring: PseudonymKeyring, clientId: string): string {
  const mac = createHmac('sha256', keyring.internalKey).update(normaliseClientId(clientId), 'utf8').digest();
  return `i_${mac.subarray(0, 16).toString('base64url')}`;
}

export function isInternalId(value: string): boolean {
  return INTERNAL_ID.test(value);
}

export function toAgencyPseudonym(keyring: PseudonymKeyring, agencyId: string, internalId: string, version = keyring.current.version): string {
  if (!isInternalId(internalId)) throw new Error('not an internal id');
  const key = keyring.versions.get(version);
  if (!key) throw new Error(`no pseudonym key version ${version}`);
  const plain = Buffer.from(internalId.slice(2), 'base64url');
  const nonce = createHmac('sha256', key.nonceKey).update(agencyId).update('\0').update(plain).digest().subarray(0, 12);
  const cipher = createCipheriv('aes-256-gcm', key.agencyKey, nonce);
  cipher.setAAD(Buffer.from(agencyId, 'utf8'));
  const body = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return `p${version}_${body.toString('base64url')}`;
}

/** The internal id behind an agency's own pseudonym, or null when it is not one (forged, another agency's, unknown key). */
export function fromAgencyPseudonym(keyring: PseudonymKeyring, agencyId: string, pseudonym: string): string | null {
  const m = AGENCY_PSEUDONYM.exec(pseudonym);
  if (!m) return null;
  const key = keyring.versions.get(Number(m[1]));
  if (!key) return null;
  const body = Buffer.from(m[2], 'base64url');
  // 44 bytes are 59 characters; the decoder ignores the last one's 2 low bits: only the spelling it would write back is accepted.
  if (body.length !== 44 || body.toString('base64url') !== m[2]) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.agencyKey, body.subarray(0, 12));
    decipher.setAAD(Buffer.from(agencyId, 'utf8'));
    decipher.setAuthTag(body.subarray(28));
    const plain = Buffer.concat([decipher.update(body.subarray(12, 28)), decipher.final()]);
    return `i_${plain.toString('base64url')}`;
  } catch {
    return null;
  }
}

/** Loads the keyring from `<secretsDir>/pseudonym-keys.json`, creating it (0600) on first start. */
export async function loadPseudonymKeyring(secretsDir: string): Promise<PseudonymKeyring> {
  await ensureSecretsDir(secretsDir);
  const file = path.join(secretsDir, FILE);
  try {
    await fs.access(file);
  } catch {
    const fresh: KeyringFile = { internalKey: randomBytes(32).toString('base64url'), versions: [newVersion(1)] };
    await writeSecretFile(file, JSON.stringify(fresh, null, 2));
  }
  return keyringFromFile(await readJsonFile<KeyringFile>(file));
}

/** Adds a new agency-pseudonym key version (rotation); earlier versions keep translating. */
export async function rotatePseudonymKeys(secretsDir: string): Promise<number> {
  return (await rotatePseudonymKeyVersion(secretsDir)).version;
}

function newVersion(version: number) {
  return { version, agencyKey: randomBytes(32).toString('base64url'), nonceKey: randomBytes(32).toString('base64url'), createdAt: new Date().toISOString() };
}

export function keyringFromFile(content: KeyringFile): PseudonymKeyring {
  const versions = new Map<number, PseudonymKeyVersion>();
  for (const v of content.versions) {
    versions.set(v.version, { version: v.version, agencyKey: Buffer.from(v.agencyKey, 'base64url'), nonceKey: Buffer.from(v.nonceKey, 'base64url'), createdAt: v.createdAt });
  }
  const current = [...versions.values()].sort((a, b) => b.version - a.version)[0];
  return { internalKey: Buffer.from(content.internalKey, 'base64url'), current, versions };
}

/** A keyring from fixed bytes, for tests. */
export function testKeyring(seed = 1, versionCount = 1): PseudonymKeyring {
  const bytes = (n: number) => createHmac('sha256', String(seed)).update(String(n)).digest();
  return keyringFromFile({
    internalKey: bytes(0).toString('base64url'),
    versions: Array.from({ length: versionCount }, (_, i) => ({
      version: i + 1,
      agencyKey: bytes(2 * i + 1).toString('base64url'),
      nonceKey: bytes(2 * i + 2).toString('base64url'),
      createdAt: '2026-01-01T00:00:00Z',
    })),
  });
}
