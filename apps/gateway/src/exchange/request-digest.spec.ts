import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { loadRequestDigestKey, REQUEST_DIGEST_KEY_FILE, requestDigest } from './request-digest';

describe('the keyed request digest of the ledger', () => {
  const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'request-digest-'));

  it('makes its key once (0600) and keeps it', async () => {
    const d = dir();
    const first = await loadRequestDigestKey(d);
    expect(first).toHaveLength(32);
    expect(fs.statSync(path.join(d, REQUEST_DIGEST_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(await loadRequestDigestKey(d)).toEqual(first);
  });

  it('refuses a key file others can read', async () => {
    const d = dir();
    await loadRequestDigestKey(d);
    fs.chmodSync(path.join(d, REQUEST_DIGEST_KEY_FILE), 0o640);
    await expect(loadRequestDigestKey(d)).rejects.toThrow(/readable by group or others/);
  });

  it('is not the plain SHA-256 a ledger reader could recompute from guessed client ids', () => {
    const body = '{"variables":{"r":[{"clientId":"UCI-12345678"}]}}';
    const key = Buffer.alloc(32, 7);
    expect(requestDigest(key, body)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(requestDigest(key, body)).not.toBe(createHash('sha256').update(body).digest('base64url'));
    expect(requestDigest(Buffer.alloc(32, 8), body)).not.toBe(requestDigest(key, body));
  });
});
