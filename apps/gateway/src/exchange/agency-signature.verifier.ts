import { compactVerify, importJWK, type KeyLike } from 'jose';
import { sha256b64u } from '@passerelle/crypto';
import type { Registry, RegistryKey } from '@passerelle/registry';
import type { VerifiedCaller } from './exchange-context';
import { checkAgencyClaims, decodeAgencySignature, fail, quote, type SignatureFailure } from './signature-claims';

export interface SignedRequestInput {
  header: string | string[] | undefined;
  method: string;
  /** path with query, exactly as received */
  url: string;
  body: Buffer;
}

export type VerificationResult =
  | { ok: true; caller: VerifiedCaller }
  /** `attributedTo` is set once the signature itself verified (the failing check came after). */
  | (SignatureFailure & { attributedTo?: { agency: string; kid: string } });

/** Imported public keys, per registry snapshot (a reload builds new ones). */
const importedKeys = new WeakMap<Registry, Map<string, Promise<KeyLike | Uint8Array>>>();

function publicKeyOf(registry: Registry, key: RegistryKey): Promise<KeyLike | Uint8Array> {
  let cache = importedKeys.get(registry);
  if (!cache) importedKeys.set(registry, (cache = new Map()));
  let imported = cache.get(key.kid);
  if (!imported) {
    const { kty, crv, x, y } = key;
    imported = importJWK({ kty, crv, x, ...(y !== undefined ? { y } : {}) }, key.alg);
    imported.catch(() => cache.delete(key.kid));
    cache.set(key.kid, imported);
  }
  return imported;
}

/**
 * Every check of docs/contract.md §3 except replay, in a fixed order; the first failure wins:
 * missing_signature → malformed_signature → algorithm_not_allowed → unknown_key → revoked_key
 * → bad_signature → issuer_mismatch → audience_mismatch → expired → not_yet_valid →
 * unknown_purpose → method_or_path_mismatch → body_digest_mismatch.
 * Keys come only from the registry; `algorithms` is pinned to the registered key's alg.
 */
export async function verifyAgencySignature(input: SignedRequestInput, registry: Registry, nowSeconds: number): Promise<VerificationResult> {
  const decoded = decodeAgencySignature(input.header);
  if (!decoded.ok) return decoded;
  const { header, claims } = decoded;
  const found = registry.keyByKid(header.kid);
  if (!found) return fail('unknown_key', `kid ${quote(header.kid)} is not a key of any agency in the registry`);
  const { agency, key } = found;
  if (key.status === 'revoked') return fail('revoked_key', `key ${quote(key.kid)} of ${agency.id} has been revoked; sign with an active key`);
  if (key.status === 'retired') return fail('revoked_key', `key ${quote(key.kid)} of ${agency.id} is retired and no longer accepted for new requests; sign with an active key`);
  if (header.alg !== key.alg) {
    return fail('algorithm_not_allowed', `key ${quote(key.kid)} is registered for ${key.alg}; the header says ${quote(header.alg)}`);
  }
  try {
    const publicKey = await publicKeyOf(registry, key);
    await compactVerify(decoded.jws, publicKey, { algorithms: [key.alg] });
  } catch {
    return fail('bad_signature', `the signature does not verify with key ${quote(key.kid)}: sign the exact header and claims you send, with the private key of that kid`);
  }
  const checked = checkAgencyClaims(claims, {
    keyOwner: agency.id,
    gatewayId: registry.gatewayId,
    now: nowSeconds,
    method: input.method,
    url: input.url,
    bodySha256: sha256b64u(input.body),
  });
  if (!checked.ok) return { ...checked, attributedTo: { agency: agency.id, kid: key.kid } };
  return { ok: true, caller: { agency: agency.id, kid: key.kid, jti: claims.jti, purpose: checked.purpose, exp: claims.exp } };
}
