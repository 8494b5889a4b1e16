import { NoteFormatError } from './errors';

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * RFC 4648 §4 standard base64, strictly: padding required, no whitespace, no URL alphabet and
 * no non-zero trailing bits (Buffer.from(…, 'base64') accepts all of these, so we re-encode and
 * compare, which is what makes an encoding canonical).
 */
export function decodeBase64Strict(s: string, what: string): Buffer {
  if (!STD_BASE64.test(s)) throw new NoteFormatError('bad-base64', `${what} is not standard padded base64`);
  const bytes = Buffer.from(s, 'base64');
  if (bytes.toString('base64') !== s) throw new NoteFormatError('bad-base64', `${what} is not canonical base64 (non-zero padding bits)`);
  return bytes;
}

/** Decodes bytes as UTF-8, refusing invalid sequences instead of replacing them. */
export function utf8Strict(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new NoteFormatError('not-utf8', `${what} is not valid UTF-8`);
  }
}

/** A JS string that is not well-formed UTF-16 (a lone surrogate) has no UTF-8 encoding. */
export function assertWellFormed(s: string, what: string): void {
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)) {
    throw new NoteFormatError('not-utf8', `${what} is not valid UTF-8 (lone surrogate)`);
  }
}

export function asText(input: string | Uint8Array, what: string): string {
  if (typeof input === 'string') {
    assertWellFormed(input, what);
    return input;
  }
  return utf8Strict(input, what);
}

/** u64 big-endian from a non-negative safe integer. */
export function u64be(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}
