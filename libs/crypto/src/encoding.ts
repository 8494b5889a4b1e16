import { createHash } from 'node:crypto';

export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** base64url (no padding) of SHA-256 of the given bytes: the contract's digest form. */
export function sha256b64u(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('base64url');
}

export function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}
