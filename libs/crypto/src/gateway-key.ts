import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type KeyLike } from 'jose';
import { ensureSecretsDir, readJsonFile, writeSecretFile } from './secret-files';

/**
 * How long a key that a newer one took over stays in the JWKS when its file predates
 * `supersededAt` (written by a version that set only `retiredAt` on rotation).
 */
export const RETIRED_KEY_PUBLISH_MS = 7 * 24 * 3600 * 1000;

export interface GatewayKeyFile {
  kid: string;
  createdAt: string;
  /** set when a newer key took over (`passerelle keys rotate-gateway`): it no longer signs, but stays published */
  supersededAt?: string;
  /**
   * set by `passerelle keys retire-gateway`: no longer published. (A file with `retiredAt` and no
   * `supersededAt` was rotated by an earlier version: published until retiredAt + RETIRED_KEY_PUBLISH_MS.)
   */
  retiredAt?: string;
  privateJwk: JWK;
}

/** Whether the key may sign: neither superseded nor retired. */
export function gatewayKeySigns(f: GatewayKeyFile): boolean {
  return !f.supersededAt && !f.retiredAt;
}

/** Whether the key's public half is in the JWKS at `now`. */
export function gatewayKeyPublished(f: GatewayKeyFile, now: number): boolean {
  if (!f.retiredAt) return true;
  if (f.supersededAt) return false;
  return Date.parse(f.retiredAt) + RETIRED_KEY_PUBLISH_MS > now;
}

export interface GatewayKeys {
  active: { kid: string; alg: 'EdDSA'; privateKey: KeyLike; publicJwk: JWK };
  /** public JWKs to publish at /.well-known/jwks.json (the active one first) */
  jwks: { keys: JWK[] };
  /** every known public key by kid, to verify artefacts signed earlier (e.g. tree heads) */
  publicKeys: Map<string, KeyLike>;
}

export const GATEWAY_KEY_DIR = 'gateway-signing';
const KEY_DIR = GATEWAY_KEY_DIR;

export function publicOf(jwk: JWK, kid: string): JWK {
  const { d: _d, ...pub } = jwk;
  return { ...pub, kid, alg: 'EdDSA', use: 'sig' };
}

/**
 * Loads the gateway's Ed25519 signing keys from `<secretsDir>/gateway-signing/*.json`,
 * creating the first one (file mode 0600) when there is none. The newest key that signs is
 * active; superseded keys stay published until retired (docs: README, "Operator commands").
 */
export async function loadGatewayKeys(secretsDir: string, now = Date.now()): Promise<GatewayKeys> {
  await ensureSecretsDir(secretsDir);
  const dir = path.join(secretsDir, KEY_DIR);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  let files = await readKeyFiles(dir);
  if (!files.some(gatewayKeySigns)) {
    await createFirstKeyOnce(secretsDir, dir, new Date(now));
    files = await readKeyFiles(dir);
  }
  files.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.kid.localeCompare(a.kid));
  const activeFile = files.find(gatewayKeySigns)!;
  const publicKeys = new Map<string, KeyLike>();
  const published: JWK[] = [];
  for (const f of files) {
    const pub = publicOf(f.privateJwk, f.kid);
    publicKeys.set(f.kid, (await importJWK(pub, 'EdDSA')) as KeyLike);
    if (gatewayKeyPublished(f, now)) published.push(pub);
  }
  published.sort((a, b) => (a.kid === activeFile.kid ? -1 : b.kid === activeFile.kid ? 1 : 0));
  return {
    active: {
      kid: activeFile.kid,
      alg: 'EdDSA',
      privateKey: (await importJWK({ ...activeFile.privateJwk, alg: 'EdDSA' }, 'EdDSA')) as KeyLike,
      publicJwk: publicOf(activeFile.privateJwk, activeFile.kid),
    },
    jwks: { keys: published },
    publicKeys,
  };
}

/**
 * Creates a new gateway key, which becomes active; the previous active ones are superseded (they
 * stop signing but stay published until retired). The new key is written before the old ones are
 * marked, so a loader never finds no key that signs.
 */
export async function createGatewayKey(secretsDir: string, at = new Date()): Promise<string> {
  const dir = path.join(secretsDir, KEY_DIR);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = `gateway-${at.toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`;
  const file: GatewayKeyFile = { kid, createdAt: at.toISOString(), privateJwk: await exportJWK(privateKey) };
  const previous = (await readKeyFiles(dir)).filter(gatewayKeySigns);
  await writeSecretFile(path.join(dir, `${kid}.json`), JSON.stringify(file));
  for (const old of previous) await replaceKeyFile(dir, { ...old, supersededAt: at.toISOString() });
  return kid;
}

/** Rewrites one key file atomically (0600 temp file, then rename). */
export async function replaceKeyFile(dir: string, file: GatewayKeyFile): Promise<void> {
  const target = path.join(dir, `${file.kid}.json`);
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(file), { mode: 0o600, flag: 'wx' });
  await fs.rename(tmp, target);
}

/**
 * The gateway and consent-audit share the secrets directory and may both start on an empty one:
 * only the process that wins an exclusive lock file creates the first key; the other waits for it.
 */
async function createFirstKeyOnce(secretsDir: string, dir: string, at: Date): Promise<void> {
  const lock = path.join(dir, '.first-key.lock');
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(lock, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  if (handle) {
    try {
      if (!(await readKeyFiles(dir)).some(gatewayKeySigns)) await createGatewayKey(secretsDir, at);
    } finally {
      await handle.close();
    }
    return;
  }
  for (let waited = 0; waited < 10_000; waited += 50) {
    if ((await readKeyFiles(dir)).some(gatewayKeySigns)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no gateway signing key appeared in ${dir}; remove ${lock} if a previous start was interrupted`);
}

export async function readKeyFiles(dir: string): Promise<GatewayKeyFile[]> {
  const names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json'));
  return Promise.all(names.map((n) => readJsonFile<GatewayKeyFile>(path.join(dir, n))));
}

/** Signs claims as the gateway: compact JWS with protected header {alg: EdDSA, kid, typ}. */
export function signAsGateway(keys: GatewayKeys, typ: string, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: keys.active.kid, typ }).sign(keys.active.privateKey);
}
