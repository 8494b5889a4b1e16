import { decodeProtectedHeader, type JSONWebKeySet, type JWK, type KeyLike } from 'jose';
import { acceptCosignedCheckpoint, type AcceptedCheckpoint, type CosignedCheckpointCheck } from '@passerelle/witness';
import { GATEWAY_SIGNATURE_HEADER, signRequest, verifyResponse, type AgencyAlg, type GatewayResponseClaims, type RequestPurpose } from './sign';

export interface GatewayClientOptions {
  /** base URL, e.g. http://127.0.0.1:3000 */
  url: string;
  agency: string;
  kid: string;
  privateKey: KeyLike | Uint8Array | JWK;
  /** default: from the JWK's alg, else EdDSA */
  alg?: AgencyAlg;
  gatewayId: string;
  /** verify X-Gateway-Signature of every signed answer (default true); the JWKS is fetched once */
  verifyResponses?: boolean;
}

export interface GatewayResponse<T = unknown> {
  status: number;
  body: string;
  json: T;
  headers: Headers;
  /** the ledger index of this exchange (from the verified response signature), when signed */
  auditSeq?: number;
  claims?: GatewayResponseClaims;
  jti: string;
}

/** A signed-request client for agencies' code (and the tests). */
export class GatewayClient {
  private jwks: JSONWebKeySet | undefined;
  private readonly alg: AgencyAlg;

  constructor(private readonly opts: GatewayClientOptions) {
    const jwkAlg = (opts.privateKey as JWK).alg;
    this.alg = opts.alg ?? (jwkAlg === 'ES256' ? 'ES256' : 'EdDSA');
  }

  async graphql<T = unknown>(query: string, variables: Record<string, unknown> | undefined, purpose: RequestPurpose): Promise<GatewayResponse<T>> {
    return this.send<T>('POST', '/graphql', JSON.stringify(variables === undefined ? { query } : { query, variables }), purpose);
  }

  async get<T = unknown>(path: string, purpose: RequestPurpose): Promise<GatewayResponse<T>> {
    return this.send<T>('GET', path, undefined, purpose);
  }

  /**
   * GET /audit/checkpoint (purpose AUDIT_REVIEW), accepted only if the log's note key signed it and
   * it carries the cosignatures `check.policy` requires; otherwise throws naming the missing witnesses.
   */
  async cosignedCheckpoint(check: CosignedCheckpointCheck, treeSize?: number): Promise<AcceptedCheckpoint & { note: string }> {
    const res = await this.get<{ checkpoint?: string; error?: { code?: string; message?: string } }>(`/audit/checkpoint${treeSize ? `?tree_size=${treeSize}` : ''}`, 'AUDIT_REVIEW');
    if (res.status !== 200 || typeof res.json?.checkpoint !== 'string') {
      throw new Error(`GET /audit/checkpoint answered HTTP ${res.status}${res.json?.error?.code ? `: ${res.json.error.code}: ${res.json.error.message ?? ''}` : ''}`);
    }
    return { ...acceptCosignedCheckpoint(res.json.checkpoint, check), note: res.json.checkpoint };
  }

  async gatewayJwks(): Promise<JSONWebKeySet> {
    if (!this.jwks) {
      const res = await fetch(new URL('/.well-known/jwks.json', this.opts.url));
      if (!res.ok) throw new Error(`cannot fetch the gateway JWKS: HTTP ${res.status}`);
      this.jwks = (await res.json()) as JSONWebKeySet;
    }
    return this.jwks;
  }

  async send<T = unknown>(method: string, path: string, body: string | undefined, purpose: RequestPurpose): Promise<GatewayResponse<T>> {
    const signed = await signRequest({ ...this.opts, alg: this.alg, method, path, body, purpose });
    const res = await fetch(new URL(path, this.opts.url), { method, headers: signed.headers, body: body === undefined ? undefined : signed.body });
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = bytes.toString('utf8');
    let json: T;
    try {
      json = JSON.parse(text) as T;
    } catch {
      json = undefined as T;
    }
    const out: GatewayResponse<T> = { status: res.status, body: text, json, headers: res.headers, jti: signed.jti };
    const signature = res.headers.get(GATEWAY_SIGNATURE_HEADER);
    if (signature && this.opts.verifyResponses !== false) {
      const verify = async () =>
        verifyResponse({ jwks: await this.gatewayJwks(), agency: this.opts.agency, expectedReqJti: signed.jti, body: bytes, signatureHeader: signature, gatewayId: this.opts.gatewayId });
      // After the gateway's key rotation the answer names a kid the cached JWKS lacks: fetch it once more.
      if (this.jwks && !this.jwks.keys.some((k) => k.kid === kidOf(signature))) this.jwks = undefined;
      out.claims = await verify();
      out.auditSeq = out.claims.audit_seq;
    }
    return out;
  }
}

function kidOf(jws: string): string | undefined {
  try {
    return decodeProtectedHeader(jws).kid;
  } catch {
    return undefined;
  }
}
