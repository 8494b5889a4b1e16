import { canonicalize } from 'json-canonicalize';

/**
 * RFC 8785 (JCS) text of a JSON value, exactly `canonicalize(value)`: when every object in it
 * already has its keys in JCS order (sorted by UTF-16 code units) — as the gateway serves ledger
 * entries, parsed from their canonical text, and as the ledger's `buildEntry` builds them — that
 * text is `JSON.stringify(value)` (same string and number serialisation, same key order), about
 * 3× cheaper than re-sorting; anything else (keys out of order, values that are not plain JSON)
 * goes through `canonicalize`.
 */
export function canonicalText(value: unknown): string {
  return inJcsOrder(value) ? JSON.stringify(value) : canonicalize(value);
}

function inJcsOrder(v: unknown): boolean {
  if (v === null) return true;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v);
    case 'object':
      break;
    default:
      return false;
  }
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) return false;
    for (let i = 0; i < v.length; i++) if (!(i in v) || !inJcsOrder(v[i])) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  const o = v as Record<string, unknown>;
  if ('toJSON' in o) return false;
  let prev: string | undefined;
  for (const k of Object.keys(o)) {
    if (prev !== undefined && !(prev < k)) return false;
    if (!inJcsOrder(o[k])) return false;
    prev = k;
  }
  return true;
}
