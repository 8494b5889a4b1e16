import fs from 'node:fs/promises';
import path from 'node:path';
import { LOG_PUBLIC_JWKS_FILE, publicTreeHeadJwk, type TreeHeadJwk } from '@passerelle/crypto';

/**
 * The audit log's public keys as consent-audit publishes them (<secrets>/public/log-jwks.json),
 * re-read when the file changes. Only public members are relayed, whatever the file holds.
 */
export class LogPublicKeys {
  private readonly file: string;
  private cached: { mtimeMs: number; keys: TreeHeadJwk[] } | undefined;

  constructor(secretsDir: string) {
    this.file = path.join(secretsDir, LOG_PUBLIC_JWKS_FILE);
  }

  async read(): Promise<TreeHeadJwk[]> {
    let mtimeMs: number;
    try {
      mtimeMs = (await fs.stat(this.file)).mtimeMs;
    } catch {
      return [];
    }
    if (this.cached?.mtimeMs !== mtimeMs) {
      try {
        const parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as { keys?: unknown };
        const keys = Array.isArray(parsed.keys) ? parsed.keys.map((k) => publicTreeHeadJwk(k)).filter((k): k is TreeHeadJwk => k !== undefined) : [];
        this.cached = { mtimeMs, keys };
      } catch {
        return this.cached?.keys ?? [];
      }
    }
    return this.cached.keys;
  }
}
