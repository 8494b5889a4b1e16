import { createHash } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader, importJWK, type JWK, type KeyLike } from 'jose';

/**
 * Signed job-match events (docs/contract.md §6): header `x-signature` is a compact JWS by a key of
 * the publishing agency, protected header {alg, kid, typ: 'job-match+jwt'}, payload
 * {iss, event_id, value_sha256} where value_sha256 is base64url SHA-256 of the Kafka value bytes.
 */
export const JOB_MATCH_JWS_TYP = 'job-match+jwt';
export const JOB_MATCH_ALGORITHMS = ['EdDSA', 'ES256'] as const;
export type JobMatchAlgorithm = (typeof JOB_MATCH_ALGORITHMS)[number];

export const HEADER_AGENCY = 'x-agency';
export const HEADER_SIGNATURE = 'x-signature';
/** Batch signatures (§6.1): one JWS per batch over a Merkle root, and each event's inclusion proof. */
export const JOB_MATCH_BATCH_JWS_TYP = 'job-match-batch+jwt';
export const HEADER_BATCH_SIGNATURE = 'x-batch-signature';
export const HEADER_BATCH_PROOF = 'x-batch-proof';
export const HEADER_ERROR_CODE = 'x-error-code';
export const HEADER_ERROR_DETAIL = 'x-error-detail';

export interface JobMatchSigner {
  agency: string;
  kid: string;
  alg: JobMatchAlgorithm;
  key: KeyLike | Uint8Array;
}

function valueSha256(value: Uint8Array): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** A signer from a private JWK file as written by `passerelle keys generate` ({kty, crv, x, [y,] d, kid, alg}). */
export async function signerFromPrivateJwk(agency: string, jwk: JWK): Promise<JobMatchSigner> {
  if (typeof jwk !== 'object' || jwk === null) throw new Error('the key file must hold a JSON object (a private JWK)');
  if (!jwk.d) throw new Error('the key file holds no private key (JWK member "d" is missing)');
  if (!jwk.kid) throw new Error('the key file has no "kid"');
  const alg = jwk.alg ?? (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' ? 'EdDSA' : jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : undefined);
  if (!alg || !(JOB_MATCH_ALGORITHMS as readonly string[]).includes(alg)) throw new Error('the key must be an Ed25519 (EdDSA) or P-256 (ES256) key');
  const key = await importJWK(jwk, alg);
  return { agency, kid: jwk.kid, alg: alg as JobMatchAlgorithm, key };
}

export async function signJobMatch(signer: JobMatchSigner, eventId: string, value: Uint8Array): Promise<string> {
  const payload = JSON.stringify({ iss: signer.agency, event_id: eventId, value_sha256: valueSha256(value) });
  return new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: JOB_MATCH_JWS_TYP }).sign(signer.key);
}

/** A public key of a publisher, as the registry holds it. */
export interface PublisherKey {
  jwk: JWK;
  alg: string;
  status: 'active' | 'retired' | 'revoked';
}

/** What the verifier needs to know about publishers (the consumer wires it to the registry). */
export interface PublisherDirectory {
  /** true when the agency exists and has role PUBLISHER */
  isPublisher(agency: string): boolean;
  key(agency: string, kid: string): PublisherKey | undefined;
}

export type SignatureFailureCode = 'unknown_publisher' | 'unknown_key' | 'bad_signature';
export type SignatureCheck = { ok: true; agency: string; kid: string; eventId: string } | { ok: false; code: SignatureFailureCode; detail: string; agency?: string; kid?: string };

/**
 * Checks an event's `x-agency` and `x-signature` against the value bytes. Does not decode the
 * value: the caller compares the returned eventId with the decoded event's.
 * `importKey` caches imported keys (by agency/kid/key material) across calls.
 */
export async function verifyJobMatchSignature(
  input: { agency: string | undefined; signature: string | undefined; value: Uint8Array },
  publishers: PublisherDirectory,
  importKey: (k: PublisherKey) => Promise<KeyLike | Uint8Array> = (k) => importJWK(k.jwk, k.alg),
): Promise<SignatureCheck> {
  const { agency, signature, value } = input;
  if (!agency) return { ok: false, code: 'unknown_publisher', detail: `missing ${HEADER_AGENCY} header` };
  if (!publishers.isPublisher(agency)) {
    return { ok: false, code: 'unknown_publisher', detail: `${HEADER_AGENCY} is not a publisher in the registry` };
  }
  if (!signature) return { ok: false, code: 'bad_signature', detail: `missing ${HEADER_SIGNATURE} header`, agency };
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(signature);
  } catch {
    return { ok: false, code: 'bad_signature', detail: `${HEADER_SIGNATURE} is not a compact JWS`, agency };
  }
  if (header.typ !== JOB_MATCH_JWS_TYP) return { ok: false, code: 'bad_signature', detail: `JWS typ must be ${JOB_MATCH_JWS_TYP}`, agency };
  if (typeof header.alg !== 'string' || !(JOB_MATCH_ALGORITHMS as readonly string[]).includes(header.alg)) {
    return { ok: false, code: 'bad_signature', detail: `JWS alg must be one of ${JOB_MATCH_ALGORITHMS.join(', ')}`, agency };
  }
  if (typeof header.kid !== 'string' || header.kid === '') return { ok: false, code: 'unknown_key', detail: 'JWS has no kid', agency };
  const kid = header.kid;
  const key = publishers.key(agency, kid);
  if (!key) return { ok: false, code: 'unknown_key', detail: 'kid is not a key of the publisher', agency, kid };
  if (key.status !== 'active') return { ok: false, code: 'unknown_key', detail: `key is ${key.status}`, agency, kid };
  if (key.alg !== header.alg) return { ok: false, code: 'bad_signature', detail: 'JWS alg does not match the key', agency, kid };
  let payload: Uint8Array;
  try {
    const verified = await compactVerify(signature, await importKey(key), { algorithms: [key.alg] });
    payload = verified.payload;
  } catch {
    return { ok: false, code: 'bad_signature', detail: 'signature does not verify', agency, kid };
  }
  let claims: { iss?: unknown; event_id?: unknown; value_sha256?: unknown };
  try {
    claims = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return { ok: false, code: 'bad_signature', detail: 'JWS payload is not JSON', agency, kid };
  }
  if (claims.iss !== agency) return { ok: false, code: 'bad_signature', detail: `iss does not match ${HEADER_AGENCY}`, agency, kid };
  if (typeof claims.event_id !== 'string' || claims.event_id === '') return { ok: false, code: 'bad_signature', detail: 'JWS payload has no event_id', agency, kid };
  if (claims.value_sha256 !== valueSha256(value)) return { ok: false, code: 'bad_signature', detail: 'value_sha256 does not match the value', agency, kid };
  return { ok: true, agency, kid, eventId: claims.event_id };
}
