import { createPrivateKey, KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { sha256b64u, type GatewayKeys } from '@passerelle/crypto';
import type { Registry } from '@passerelle/registry';
import type { VerifiedCaller } from './exchange-context';
import { keyOperations } from './key-operations';
import { GATEWAY_KEYS } from './tokens';

export const GATEWAY_SIGNATURE_HEADER = 'x-gateway-signature';
export const GATEWAY_RESPONSE_TYP = 'gateway-response+jwt';

type ActiveKey = GatewayKeys['active'];

/** The active key as a node:crypto KeyObject, once per key (a rotation installs a new `active`). */
const keyObjects = new WeakMap<ActiveKey, KeyObject>();

function keyObjectOf(active: ActiveKey): KeyObject {
  let key = keyObjects.get(active);
  if (!key) {
    const pk = active.privateKey as unknown;
    key = pk instanceof KeyObject ? pk : createPrivateKey({ key: pk as never, format: 'jwk' });
    keyObjects.set(active, key);
  }
  return key;
}

/**
 * A compact JWS signed with the gateway's active Ed25519 key: the same bytes as libs/crypto's
 * signAsGateway (jose SignJWT: header {alg, kid, typ}, then the claims as JSON; Ed25519 is
 * deterministic), without jose's generic per-call key handling.
 */
export async function signWithGatewayKey(keys: GatewayKeys, typ: string, claims: Record<string, unknown>): Promise<string> {
  const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: keys.active.kid, typ })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const input = `${header}.${payload}`;
  // Off the event loop, batched per turn with the other exchanges' key operations (key-operations.ts).
  const signature = await keyOperations.run({ kind: 'sign', key: keyObjectOf(keys.active), data: Buffer.from(input, 'ascii') });
  return `${input}.${signature.toString('base64url')}`;
}

/** X-Gateway-Signature (docs/contract.md §3): the answer's bytes and the ledger entry that records the exchange. */
@Injectable()
export class ResponseSigner {
  constructor(@Inject(GATEWAY_KEYS) private readonly keys: GatewayKeys) {}

  sign(registry: Registry, caller: VerifiedCaller, body: Buffer, auditSeq: number): Promise<string | undefined> {
    return signWithGatewayKey(this.keys, GATEWAY_RESPONSE_TYP, {
      iss: registry.gatewayId,
      aud: caller.agency,
      iat: Math.floor(Date.now() / 1000),
      req_jti: caller.jti,
      body_sha256: sha256b64u(body),
      audit_seq: auditSeq,
    });
  }
}
