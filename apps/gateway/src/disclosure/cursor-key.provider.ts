import fs from 'node:fs/promises';
import path from 'node:path';
import type { Provider } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ensureSecretsDir, readJsonFile, writeSecretFile } from '@passerelle/crypto';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { cursorKeysFrom, type CursorKeys } from './page-cursor';

/** The keys that seal page cursors (page-cursor.ts), loaded once per process. */
export const CURSOR_KEYS = Symbol('CURSOR_KEYS');

export const CURSOR_KEY_FILE = 'page-cursor-key.json';

interface CursorKeyFile {
  secret: string;
  createdAt: string;
}

/**
 * Loads `<secretsDir>/page-cursor-key.json`, creating it (0600, 32 random bytes) on first start
 * like the other demo secrets. A file readable by group or others is refused, as ssh does.
 * Rotating it (deleting the file, restarting) only invalidates cursors in flight.
 */
export async function loadCursorKeys(secretsDir: string): Promise<CursorKeys> {
  await ensureSecretsDir(secretsDir);
  const file = path.join(secretsDir, CURSOR_KEY_FILE);
  try {
    await fs.access(file);
  } catch {
    await writeSecretFile(file, JSON.stringify({ secret: randomBytes(32).toString('base64url'), createdAt: new Date().toISOString() } satisfies CursorKeyFile, null, 2));
  }
  const mode = (await fs.stat(file)).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new Error(`${file} is readable by group or others (mode ${mode.toString(8)}): chmod 600 it`);
  const content = await readJsonFile<CursorKeyFile>(file);
  const secret = typeof content.secret === 'string' ? Buffer.from(content.secret, 'base64url') : Buffer.alloc(0);
  if (secret.length !== 32) throw new Error(`${file} does not hold a 32-byte secret`);
  return cursorKeysFrom(secret);
}

export const cursorKeysProvider: Provider = {
  provide: CURSOR_KEYS,
  inject: [GATEWAY_CONFIG],
  useFactory: (config: GatewayConfig) => loadCursorKeys(config.PASSERELLE_SECRETS_DIR),
};
