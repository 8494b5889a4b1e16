import fs from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type KeyLike } from 'jose';
import { LOG_PUBLIC_JWKS_FILE, publicTreeHeadJwk, readJsonFile, TREE_HEAD_TYP, writeSecretFile, type TreeHeadJwk } from '@passerelle/crypto';

/** The log's own Ed25519 key: it signs tree heads and nothing else. Only consent-audit loads it. */
export interface LogKey {
  kid: string;
  privateKey: KeyLike;
  publicJwk: TreeHeadJwk;
}

export const LOG_KEY = Symbol('LOG_KEY');

const KEY_FILE = 'log-signing.json';

interface LogKeyFile {
  kid: string;
  createdAt: string;
  privateJwk: JWK;
}

/**
 * Loads the log key from `<keyDir>/log-signing.json`, creating it (0600, in a 0700 directory) on
 * first start, and publishes its public JWKS to `<secretsDir>/public/log-jwks.json` for the
 * gateway to serve. A key file readable by group or others is refused.
 */
export async function loadLogKey(keyDir: string, secretsDir: string): Promise<LogKey> {
  const file = path.join(keyDir, KEY_FILE);
  await fs.mkdir(keyDir, { recursive: true, mode: 0o700 });
  if (!(await exists(file))) {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const createdAt = new Date().toISOString();
    const kid = `log-${createdAt.slice(0, 10)}-${Math.random().toString(36).slice(2, 8)}`;
    // A twin instance may win the race: its key is kept and read below.
    await writeSecretFile(file, JSON.stringify({ kid, createdAt, privateJwk: await exportJWK(privateKey) } satisfies LogKeyFile));
  }
  const mode = (await fs.stat(file)).mode & 0o777;
  if (mode & 0o077) throw new Error(`${file} is readable by group or others (mode ${mode.toString(8)}): chmod 600 it`);
  const stored = await readJsonFile<LogKeyFile>(file);
  const publicJwk = publicTreeHeadJwk({ ...stored.privateJwk, kid: stored.kid });
  if (!publicJwk) throw new Error(`${file} does not hold an Ed25519 private key`);
  await publishPublicJwks(secretsDir, publicJwk);
  return { kid: stored.kid, privateKey: (await importJWK({ ...stored.privateJwk, alg: 'EdDSA' }, 'EdDSA')) as KeyLike, publicJwk };
}

/** Signs a tree head with the log key: compact JWS, protected header {alg: EdDSA, kid, typ: tree-head+jwt}. */
export function signTreeHead(key: LogKey, claims: { tree_size: number; root_hash: string; timestamp: number }): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: TREE_HEAD_TYP }).sign(key.privateKey);
}

async function publishPublicJwks(secretsDir: string, jwk: TreeHeadJwk): Promise<void> {
  const file = path.join(secretsDir, LOG_PUBLIC_JWKS_FILE);
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify({ keys: [jwk] }), { mode: 0o644 });
  await fs.rename(tmp, file);
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
