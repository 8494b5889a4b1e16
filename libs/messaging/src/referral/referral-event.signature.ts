import { createHash } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader, importJWK, type JWK, type KeyLike } from 'jose';

/**
 * Signed relocation events on passerelle.referrals.v1 (docs/contract.md, "Relocation events"):
 * header `x-signature` is a compact JWS by the gateway's signing key (published at
 * /.well-known/jwks.json), protected header {alg: EdDSA, kid, typ: referral-event+jwt}, payload
 * {iss: gateway id, event_id, value_sha256: base64url SHA-256 of the Kafka value bytes}.
 * The signature covers the bytes, so a consumer verifies before it decodes.
 */
export const REFERRAL_EVENT_JWS_TYP = 'referral-event+jwt';
export const REFERRAL_EVENT_SIGNATURE_HEADER = 'x-signature';
export const REFERRAL_EVENT_CONTENT_TYPE = 'application/x-protobuf';

export interface ReferralEventSigner {
  iss: string;
  kid: string;
  key: KeyLike | Uint8Array;
}

const sha256 = (value: Uint8Array) => createHash('sha256').update(value).digest('base64url');

export async function signReferralEvent(signer: ReferralEventSigner, eventId: string, value: Uint8Array): Promise<string> {
  const payload = JSON.stringify({ iss: signer.iss, event_id: eventId, value_sha256: sha256(value) });
  return new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: 'EdDSA', kid: signer.kid, typ: REFERRAL_EVENT_JWS_TYP }).sign(signer.key);
}

export type ReferralEventCheck = { ok: true; eventId: string; kid: string } | { ok: false; detail: string };

/**
 * Checks an event's signature against the value bytes and the gateway's published keys (JWKS).
 * `gatewayId` is the `iss` expected (the registry's gateway id). Never throws.
 */
export async function verifyReferralEvent(input: { signature: string | undefined; value: Uint8Array }, jwks: { keys: JWK[] }, gatewayId: string): Promise<ReferralEventCheck> {
  const { signature, value } = input;
  if (!signature) return { ok: false, detail: `missing ${REFERRAL_EVENT_SIGNATURE_HEADER} header` };
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(signature);
  } catch {
    return { ok: false, detail: `${REFERRAL_EVENT_SIGNATURE_HEADER} is not a compact JWS` };
  }
  if (header.typ !== REFERRAL_EVENT_JWS_TYP) return { ok: false, detail: `JWS typ must be ${REFERRAL_EVENT_JWS_TYP}` };
  if (header.alg !== 'EdDSA') return { ok: false, detail: 'JWS alg must be EdDSA' };
  if (header.crit !== undefined) return { ok: false, detail: 'JWS crit is not allowed' };
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) return { ok: false, detail: 'kid is not a published gateway key' };
  let claims: { iss?: unknown; event_id?: unknown; value_sha256?: unknown };
  try {
    const verified = await compactVerify(signature, await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA'), { algorithms: ['EdDSA'] });
    claims = JSON.parse(new TextDecoder().decode(verified.payload));
  } catch {
    return { ok: false, detail: 'signature does not verify' };
  }
  if (claims.iss !== gatewayId) return { ok: false, detail: 'iss is not the gateway' };
  if (typeof claims.event_id !== 'string' || claims.event_id === '') return { ok: false, detail: 'JWS payload has no event_id' };
  if (claims.value_sha256 !== sha256(value)) return { ok: false, detail: 'value_sha256 does not match the value' };
  return { ok: true, eventId: claims.event_id, kid: header.kid as string };
}
