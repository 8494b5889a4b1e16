import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ensureSecretsDir, writeSecretFile } from '@passerelle/crypto';

/**
 * The ledger's `request_sha256` is HMAC-SHA256(requestDigestKey, exact body bytes), base64url,
 * for EVERY request (docs/ledger.md "request_sha256"). A plain SHA-256 of a submission is
 * brute-forceable: client ids are short and structured, so whoever reads the ledger could hash
 * guesses until one matches. Every GraphQL body can carry such a value (a literal, a variable, an
 * alias), so no body is exempt; one rule for all also keeps the recorder free of a classifier
 * that could be wrong. The key never leaves the gateway: the operator who holds it can still
 * show, for a disputed request, that the entry matches the body an agency kept.
 */
export const REQUEST_DIGEST_KEY_FILE = 'request-digest.key';

/** Loads `<secretsDir>/request-digest.key` (32 random bytes, base64url), created once with mode 0600. */
export async function loadRequestDigestKey(secretsDir: string): Promise<Buffer> {
  await ensureSecretsDir(secretsDir);
  const file = path.join(secretsDir, REQUEST_DIGEST_KEY_FILE);
  // Not overwritten when it exists (another process may have won the race: its key is kept).
  await fs.access(file).catch(() => writeSecretFile(file, `${randomBytes(32).toString('base64url')}\n`));
  // As ssh does with private keys: a key others could read is refused, not used.
  if (((await fs.stat(file)).mode & 0o077) !== 0) throw new Error(`${file} is readable by group or others; make it private (chmod 600)`);
  const key = Buffer.from((await fs.readFile(file, 'utf8')).trim(), 'base64url');
  if (key.length !== 32) throw new Error(`${file} must hold 32 bytes in base64url; remove it to have a new one made`);
  return key;
}

/** Pure: the keyed digest of a request body, as recorded in the ledger. */
export function requestDigest(key: Buffer, body: Buffer | string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}
