import type { JWK } from 'jose';

/**
 * The audit log signs its tree heads with a key of its own (held only by consent-audit), never
 * with the gateway's response key. Its public key is published in the gateway's JWKS beside the
 * gateway's, marked `signs: "tree-head+jwt"`; verifiers check tree heads with those keys only,
 * so a tree head signed by the gateway key is refused.
 */
export const TREE_HEAD_TYP = 'tree-head+jwt';

/** Where consent-audit publishes the log's public JWKS, relative to PASSERELLE_SECRETS_DIR (public, 0644). */
export const LOG_PUBLIC_JWKS_FILE = 'public/log-jwks.json';

export type TreeHeadJwk = JWK & { signs: typeof TREE_HEAD_TYP };

/** The public part of a log key as published: nothing but what verifying needs, and its marking. */
export function publicTreeHeadJwk(jwk: JWK & { signs?: unknown }): TreeHeadJwk | undefined {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || typeof jwk.kid !== 'string') return undefined;
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: jwk.kid, alg: 'EdDSA', use: 'sig', signs: TREE_HEAD_TYP };
}

/** The keys of a JWKS that may sign tree heads. */
export function treeHeadKeys(jwks: { keys: Array<JWK & { signs?: unknown }> }): { keys: JWK[] } {
  return { keys: jwks.keys.filter((k) => k.signs === TREE_HEAD_TYP) };
}
