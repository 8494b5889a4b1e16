import { Inject, Injectable } from '@nestjs/common';
import { sha256b64u, signAsGateway, type GatewayKeys } from '@passerelle/crypto';
import type { Registry } from '@passerelle/registry';
import type { VerifiedCaller } from './exchange-context';
import { GATEWAY_KEYS } from './tokens';

export const GATEWAY_SIGNATURE_HEADER = 'x-gateway-signature';
export const GATEWAY_RESPONSE_TYP = 'gateway-response+jwt';

/** X-Gateway-Signature (docs/contract.md §3): the answer's bytes and the ledger entry that records the exchange. */
@Injectable()
export class ResponseSigner {
  constructor(@Inject(GATEWAY_KEYS) private readonly keys: GatewayKeys) {}

  sign(registry: Registry, caller: VerifiedCaller, body: Buffer, auditSeq: number): Promise<string | undefined> {
    return signAsGateway(this.keys, GATEWAY_RESPONSE_TYP, {
      iss: registry.gatewayId,
      aud: caller.agency,
      iat: Math.floor(Date.now() / 1000),
      req_jti: caller.jti,
      body_sha256: sha256b64u(body),
      audit_seq: auditSeq,
    });
  }
}
