import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Opaque, authenticated page cursors. A cursor carries one position (where the next page starts)
 * and is bound to what it was minted for: the operation, the agency, the purpose, the filter and
 * the ordering. The position is encrypted (it may be a row the caller cannot see, or an internal
 * id) with a fresh IV, so two cursors for the same position differ and reveal nothing; then the
 * IV, the ciphertext and the binding are authenticated with HMAC-SHA256 (encrypt-then-MAC). A
 * cursor presented under any other binding, or altered in any byte, does not open.
 *
 * Both keys derive from one 32-byte gateway secret (cursor-key.provider.ts); the version prefix
 * leaves room for a rotation.
 */
export interface CursorKeys {
  encryption: Buffer;
  authentication: Buffer;
}

/** What a cursor is bound to; any difference refuses it. */
export interface CursorBinding {
  operation: string;
  agency: string;
  purpose: string;
  /** the validated filter (canonicalised: key order and set order do not matter) */
  filter: unknown;
  /** the key order of the listing, e.g. "subject asc" */
  ordering: string;
}

const VERSION = 'k1';
const IV_BYTES = 16;
const TAG_BYTES = 32;
const MAX_CURSOR_LENGTH = 2048;

export function cursorKeysFrom(secret: Buffer): CursorKeys {
  if (secret.length < 32) throw new Error('the cursor secret must hold at least 32 bytes');
  const derive = (label: string) => createHmac('sha256', secret).update(`passerelle page cursor ${VERSION} ${label}`).digest();
  return { encryption: derive('encryption'), authentication: derive('authentication') };
}

/** Canonical JSON: object keys sorted, arrays of plain values sorted (filters list sets), undefined dropped. */
export function canonicalFilter(value: unknown): string {
  const norm = (v: unknown): unknown => {
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v)) {
      const items = v.map(norm);
      return items.every((x) => typeof x === 'string' || typeof x === 'number') ? [...items].sort() : items;
    }
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v as object)
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .sort()
          .map((k) => [k, norm((v as Record<string, unknown>)[k])]),
      );
    }
    return v ?? null;
  };
  return JSON.stringify(norm(value ?? {}));
}

function bindingBytes(b: CursorBinding): Buffer {
  return Buffer.from(JSON.stringify([VERSION, b.operation, b.agency, b.purpose, canonicalFilter(b.filter), b.ordering]), 'utf8');
}

function mac(keys: CursorKeys, binding: CursorBinding, body: Buffer): Buffer {
  return createHmac('sha256', keys.authentication).update(bindingBytes(binding)).update(Buffer.from([0])).update(body).digest();
}

export function sealCursor(keys: CursorKeys, binding: CursorBinding, position: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-ctr', keys.encryption, iv);
  const body = Buffer.concat([iv, cipher.update(position, 'utf8'), cipher.final()]);
  return `${VERSION}.${body.toString('base64url')}.${mac(keys, binding, body).toString('base64url')}`;
}

/** The position behind a cursor minted for exactly this binding, or null (foreign, altered or not a cursor). */
export function openCursor(keys: CursorKeys, binding: CursorBinding, cursor: unknown): string | null {
  if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH) return null;
  const parts = cursor.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION || !/^[A-Za-z0-9_-]+$/.test(parts[1]) || !/^[A-Za-z0-9_-]+$/.test(parts[2])) return null;
  const body = Buffer.from(parts[1], 'base64url');
  const tag = Buffer.from(parts[2], 'base64url');
  // Canonical base64url only: another spelling of the same bytes is not the cursor we gave.
  if (body.toString('base64url') !== parts[1] || tag.toString('base64url') !== parts[2]) return null;
  if (body.length <= IV_BYTES || tag.length !== TAG_BYTES) return null;
  if (!timingSafeEqual(tag, mac(keys, binding, body))) return null;
  const decipher = createDecipheriv('aes-256-ctr', keys.encryption, body.subarray(0, IV_BYTES));
  return Buffer.concat([decipher.update(body.subarray(IV_BYTES)), decipher.final()]).toString('utf8');
}
