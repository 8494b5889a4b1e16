import fs from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type KeyLike } from 'jose';
import { ensureSecretsDir, readJsonFile, writeSecretFile } from './secret-files';

/** How long a retired gateway public key stays in the JWKS: longer than any signed artefact's life. */
export const RETIRED_KEY_PUBLISH_MS = 7 * 24 * 3600 * 1000;

export interface GatewayKeyFile {
  kid: string;
  createdAt: string;
  /** set when a newer key took over; published until retiredAt + RETIRED_KEY_PUBLISH_MS */
  retiredAt?: string;
  privateJwk: JWK;
}

export interface GatewayKeys {
  active: { kid: string; alg: 'EdDSA'; privateKey: KeyLike; publicJwk: JWK };
  /** public JWKs to publish at /.well-known/jwks.json (the active one first) */
  jwks: { keys: JWK[] };
  /** every known public key by kid, to verify artefacts signed earlier (e.g. tree heads) */
  publicKeys: Map<string, KeyLike>;
}

const KEY_DIR = 'gateway-signing';

function publicOf(jwk: JWK, kid: string): JWK {
  const { d: _d, ...pub } = jwk;
  return { ...pub, kid, alg: 'EdDSA', use: 'sig' };
}

/**
 * Loads the gateway's Ed25519 signing keys from `<secretsDir>/gateway-signing/*.json`,
 * creating the first one (file mode 0600) when there is none. The newest non-retired key is
 * active; retired keys stay published for RETIRED_KEY_PUBLISH_MS.
 */
export async function loadGatewayKeys(secretsDir: string, now = Date.now()): Promise<GatewayKeys> {
  await ensureSecretsDir(secretsDir);
  const dir = path.join(secretsDir, KEY_DIR);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  let files = await readKeyFiles(dir);
  if (!files.some((f) => !f.retiredAt)) {
    await createFirstKeyOnce(secretsDir, dir, new Date(now));
    files = await readKeyFiles(dir);
  }
  files.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.kid.localeCompare(a.kid));
  const activeFile = files.find((f) => !f.retiredAt)!;
  const publicKeys = new Map<string, KeyLike>();
  const published: JWK[] = [];
  for (const f of files) {
    const pub = publicOf(f.privateJwk, f.kid);
    publicKeys.set(f.kid, (await importJWK(pub, 'EdDSA')) as KeyLike);
    const stillPublished = !f.retiredAt || Date.parse(f.retiredAt) + RETIRED_KEY_PUBLISH_MS > now;
    if (stillPublished) published.push(pub);
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

/** Creates a new gateway key and retires the previous active ones (rotation). */
export async function createGatewayKey(secretsDir: string, at = new Date()): Promise<string> {
  const dir = path.join(secretsDir, KEY_DIR);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = `gateway-${at.toISOString().slice(0, 10)}-${Math.random().toString(36).slice(2, 8)}`;
  const file: GatewayKeyFile = { kid, createdAt: at.toISOString(), privateJwk: await exportJWK(privateKey) };
  for (const old of await readKeyFiles(dir)) {
    if (!old.retiredAt) {
      await fs.writeFile(path.join(dir, `${old.kid}.json`), JSON.stringify({ ...old, retiredAt: at.toISOString() }), { mode: 0o600 });
    }
  }
  await writeSecretFile(path.join(dir, `${kid}.json`), JSON.stringify(file));
  return kid;
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
      if (!(await readKeyFiles(dir)).some((f) => !f.retiredAt)) await createGatewayKey(secretsDir, at);
    } finally {
      await handle.close();
    }
    return;
  }
  for (let waited = 0; waited < 10_000; waited += 50) {
    if ((await readKeyFiles(dir)).some((f) => !f.retiredAt)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no gateway signing key appeared in ${dir}; remove ${lock} if a previous start was interrupted`);
}

async function readKeyFiles(dir: string): Promise<GatewayKeyFile[]> {
  const names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json'));
  return Promise.all(names.map((n) => readJsonFile<GatewayKeyFile>(path.join(dir, n))));
}

/** Signs claims as the gateway: compact JWS with protected header {alg: EdDSA, kid, typ}. */
export function signAsGateway(keys: GatewayKeys, typ: string, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: keys.active.kid, typ }).sign(keys.active.privateKey);
}
