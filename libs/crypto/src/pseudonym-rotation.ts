import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { readJsonFile } from './secret-files';

/**
 * Rotating the agency-pseudonym keys (`passerelle keys rotate-pseudonyms`): a new version is
 * appended to `<secrets>/pseudonym-keys.json`; every older version stays, so pseudonyms an agency
 * already holds keep translating, and answers carry the new version from the apps' next start.
 * The internal key is not touched here (see docs/pseudonyms.md, "Rotating the internal key").
 */

export const PSEUDONYM_KEYRING_FILE = 'pseudonym-keys.json';

interface KeyringFileVersion {
  version: number;
  agencyKey: string;
  nonceKey: string;
  createdAt: string;
}

export interface PseudonymVersionPeriod {
  version: number;
  /** ISO time from which the version was the one answers carry (undefined: since the beginning) */
  from?: string;
  /** ISO time at which the next version took over (undefined: still current) */
  to?: string;
}

export class PseudonymKeyringRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PseudonymKeyringRefused';
  }
}

/** Highest version the format allows: `p<version>_` has at most three digits, no leading zero. */
export const MAX_PSEUDONYM_VERSION = 999;

async function readKeyring(secretsDir: string): Promise<{ file: string; content: { internalKey: string; versions: KeyringFileVersion[] } }> {
  const file = path.join(secretsDir, PSEUDONYM_KEYRING_FILE);
  try {
    return { file, content: await readJsonFile(file) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PseudonymKeyringRefused(`no ${PSEUDONYM_KEYRING_FILE} in ${secretsDir}: is --secrets the apps' PASSERELLE_SECRETS_DIR? (the gateway creates the keyring when it first starts)`);
    }
    throw e;
  }
}

/**
 * When each version was the current one: version v from its createdAt until the next version's.
 * The first version counts from the beginning (pseudonyms issued before its file was written). Pure.
 */
export function pseudonymVersionPeriods(versions: ReadonlyArray<{ version: number; createdAt: string }>): PseudonymVersionPeriod[] {
  const sorted = [...versions].sort((a, b) => a.version - b.version);
  return sorted.map((v, i) => ({ version: v.version, ...(i > 0 ? { from: v.createdAt } : {}), ...(i + 1 < sorted.length ? { to: sorted[i + 1].createdAt } : {}) }));
}

/** The versions in the keyring file with when each was current (no key material). */
export async function pseudonymKeyVersions(secretsDir: string): Promise<PseudonymVersionPeriod[]> {
  return pseudonymVersionPeriods((await readKeyring(secretsDir)).content.versions);
}

/** Appends a new version atomically (0600 temp file, then rename); returns every period. */
export async function rotatePseudonymKeyVersion(secretsDir: string, at = new Date()): Promise<{ version: number; periods: PseudonymVersionPeriod[] }> {
  const { file, content } = await readKeyring(secretsDir);
  const version = Math.max(0, ...content.versions.map((v) => v.version)) + 1;
  if (version > MAX_PSEUDONYM_VERSION) throw new PseudonymKeyringRefused(`the pseudonym format holds versions up to ${MAX_PSEUDONYM_VERSION}; this keyring is at ${version - 1}`);
  const latest = content.versions.reduce((a, b) => (a.createdAt > b.createdAt ? a : b));
  // Periods are told apart by createdAt: a clock behind the last rotation would misplace them.
  if (at.toISOString() < latest.createdAt) throw new PseudonymKeyringRefused(`version ${latest.version} was created at ${latest.createdAt}, after this clock's ${at.toISOString()}: check the system clock`);
  content.versions.push({ version, agencyKey: randomBytes(32).toString('base64url'), nonceKey: randomBytes(32).toString('base64url'), createdAt: at.toISOString() });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(content, null, 2), { mode: 0o600, flag: 'wx' });
  await fs.rename(tmp, file);
  return { version, periods: pseudonymVersionPeriods(content.versions) };
}
