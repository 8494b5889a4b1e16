import { canonicalize } from 'json-canonicalize';

/**
 * RFC 8785 canonical JSON of a ledger entry: the same package the ledger uses to hash its
 * leaves, bundled into the console so that both sides agree byte for byte.
 */
export function canonicalJson(value: unknown): string {
  return canonicalize(value);
}
