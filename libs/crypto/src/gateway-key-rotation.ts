import fs from 'node:fs/promises';
import path from 'node:path';
import type { JWK } from 'jose';
import { createGatewayKey, GATEWAY_KEY_DIR, gatewayKeyPublished, gatewayKeySigns, publicOf, readKeyFiles, replaceKeyFile, type GatewayKeyFile } from './gateway-key';

/**
 * The gateway signing key's life, as the operator drives it (`passerelle keys rotate-gateway`,
 * `retire-gateway`): active (signs, published) → superseded by a rotation (published, so what it
 * signed still verifies) → retired by the operator (gone from the JWKS). The apps load the active
 * key at start: they sign with the new one once restarted; the gateway's JWKS re-reads the
 * directory, so a new key is published at once.
 */

export type GatewayKeyState = 'active' | 'superseded' | 'retired';

export interface GatewayKeySummary {
  kid: string;
  state: GatewayKeyState;
  createdAt: string;
  supersededAt?: string;
  retiredAt?: string;
}

export class GatewayKeyRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayKeyRefused';
  }
}

function keyDir(secretsDir: string): string {
  return path.join(secretsDir, GATEWAY_KEY_DIR);
}

async function existingKeyFiles(secretsDir: string): Promise<GatewayKeyFile[]> {
  try {
    return await readKeyFiles(keyDir(secretsDir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

function stateOf(f: GatewayKeyFile, now: number): GatewayKeyState {
  if (gatewayKeySigns(f)) return 'active';
  return gatewayKeyPublished(f, now) ? 'superseded' : 'retired';
}

/** Every gateway key in the secrets directory, newest first. */
export async function listGatewayKeys(secretsDir: string, now = Date.now()): Promise<GatewayKeySummary[]> {
  const files = await existingKeyFiles(secretsDir);
  files.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.kid.localeCompare(a.kid));
  return files.map((f) => ({ kid: f.kid, state: stateOf(f, now), createdAt: f.createdAt, supersededAt: f.supersededAt, retiredAt: f.retiredAt }));
}

/** A new active key; the one(s) active before are superseded and stay published. */
export async function rotateGatewayKey(secretsDir: string, at = new Date()): Promise<{ kid: string; superseded: string[] }> {
  const before = (await existingKeyFiles(secretsDir)).filter(gatewayKeySigns).map((f) => f.kid);
  if (before.length === 0) throw new GatewayKeyRefused(`no gateway key in ${keyDir(secretsDir)}: is --secrets the apps' PASSERELLE_SECRETS_DIR? (the gateway creates the first key when it starts)`);
  const kid = await createGatewayKey(secretsDir, at);
  return { kid, superseded: before };
}

/** Withdraws a superseded key from the JWKS. The active key is refused: rotate first. */
export async function retireGatewayKey(secretsDir: string, kid: string, at = new Date()): Promise<GatewayKeySummary> {
  const files = await existingKeyFiles(secretsDir);
  const file = files.find((f) => f.kid === kid);
  if (!file) throw new GatewayKeyRefused(`no gateway key '${kid}' in ${keyDir(secretsDir)} (known: ${files.map((f) => f.kid).join(', ') || 'none'})`);
  const state = stateOf(file, at.getTime());
  if (state === 'active') throw new GatewayKeyRefused(`'${kid}' is the active gateway key: rotate first (passerelle keys rotate-gateway), restart the gateway and consent-audit, then retire it`);
  if (file.retiredAt) throw new GatewayKeyRefused(`'${kid}' is already retired (${file.retiredAt})`);
  const retired = { ...file, retiredAt: at.toISOString() };
  await replaceKeyFile(keyDir(secretsDir), retired);
  return { kid, state: 'retired', createdAt: file.createdAt, supersededAt: file.supersededAt, retiredAt: retired.retiredAt };
}

/**
 * The public JWKs the gateway publishes, read from disk without creating anything: re-read when
 * the directory changes (every write is a rename into it, so its mtime moves).
 */
export class PublishedGatewayKeys {
  private cached: { mtimeMs: number; keys: JWK[] } | undefined;

  constructor(private readonly secretsDir: string) {}

  async read(now = Date.now()): Promise<JWK[]> {
    const dir = keyDir(this.secretsDir);
    let mtimeMs: number;
    try {
      mtimeMs = (await fs.stat(dir)).mtimeMs;
    } catch {
      return [];
    }
    if (this.cached?.mtimeMs !== mtimeMs) {
      const files = await readKeyFiles(dir);
      files.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.kid.localeCompare(a.kid));
      this.cached = { mtimeMs, keys: files.filter((f) => gatewayKeyPublished(f, now)).map((f) => publicOf(f.privateJwk, f.kid)) };
    }
    return this.cached.keys;
  }
}
