import { createPublicKey, type KeyObject } from 'node:crypto';
import { sha256b64u } from '@passerelle/crypto';
import type { Registry, RegistryKey } from '@passerelle/registry';
import type { VerifiedCaller } from './exchange-context';
import { keyOperations } from './key-operations';
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

/**
 * Public keys as node:crypto KeyObjects, per registry snapshot and per (agency, kid, key
 * material): a reload builds a new snapshot, so a key rotated out or replaced under the same kid
 * is never used from an older import. Importing costs about as much as a verification; jose's
 * generic path (importJWK + compactVerify) did it again around every signature.
 */
const importedKeys = new WeakMap<Registry, Map<string, KeyObject>>();

export function publicKeyObject(registry: Registry, agency: string, key: RegistryKey): KeyObject {
  let cache = importedKeys.get(registry);
  if (!cache) importedKeys.set(registry, (cache = new Map()));
  const { kty, crv, x, y } = key;
  const id = JSON.stringify([agency, key.kid, key.alg, kty, crv, x, y ?? null]);
  let imported = cache.get(id);
  if (!imported) {
    imported = createPublicKey({ key: { kty, crv, x, ...(y !== undefined ? { y } : {}) }, format: 'jwk' });
    cache.set(id, imported);
  }
  return imported;
}

/** Signature bytes of each allowed alg (Ed25519: 64; ES256: r ‖ s, 32 bytes each, as JWS writes them). */
const SIGNATURE_BYTES: Record<string, number> = { EdDSA: 64, ES256: 64 };

/**
 * The JWS signature check alone (RFC 7515 §5.2 steps 8–9), once the header has been checked and
 * `alg` pinned to the registered key: the signing input is the first two parts exactly as sent;
 * the signature part must be the canonical base64url of exactly the alg's signature length.
 */
export async function jwsSignatureVerifies(jws: string, alg: string, key: KeyObject): Promise<boolean> {
  const dot = jws.lastIndexOf('.');
  const sigPart = jws.slice(dot + 1);
  const signature = Buffer.from(sigPart, 'base64url');
  if (signature.length !== SIGNATURE_BYTES[alg] || signature.toString('base64url') !== sigPart) return false;
  const input = Buffer.from(jws.slice(0, dot), 'ascii');
  const keyFits =
    alg === 'EdDSA' ? key.asymmetricKeyType === 'ed25519' : alg === 'ES256' && key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  if (!keyFits) return false;
  // Off the event loop, batched per turn with the other exchanges' key operations (key-operations.ts),
  // which answers false, never throws, for a verification that fails anywhere.
  return keyOperations.run({ kind: 'verify', alg: alg as 'EdDSA' | 'ES256', key, data: input, signature });
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
  let verified = false;
  try {
    verified = await jwsSignatureVerifies(decoded.jws, key.alg, publicKeyObject(registry, agency.id, key));
  } catch {
    verified = false;
  }
  if (!verified) {
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
