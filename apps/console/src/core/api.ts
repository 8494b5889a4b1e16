import { sha256b64u } from './bytes';
import { signAgencyRequest, verifyGatewayJws, type AgencyKey, type Jwks, type Purpose } from './jws';

/** What the console knows of the X-Gateway-Signature on one answer. */
export type ResponseSignature =
  | { state: 'verified'; kid: string; auditSeq: number }
  | { state: 'invalid'; detail: string }
  | { state: 'absent' };

export interface GatewayResponseClaims {
  iss: string;
  aud: string;
  iat: number;
  req_jti: string;
  body_sha256: string;
  audit_seq: number;
}

export interface SignedAnswer<T> {
  status: number;
  body: string;
  json: T | undefined;
  /** `error.code` of a refused request (§3) or the first GraphQL error's extensions.code */
  errorCode?: string;
  errorMessage?: string;
  signature: ResponseSignature;
  jti: string;
}

export interface ApiSession {
  /** '' for the page's own origin */
  baseUrl: string;
  agency: string;
  gatewayId: string;
  key: AgencyKey;
}

type Fetch = typeof fetch;

/** Checks an answer's X-Gateway-Signature against the JWKS, the request's jti and the exact body bytes. */
export async function checkResponseSignature(header: string | null, body: Uint8Array, jwks: Jwks, expect: { gatewayId: string; agency: string; jti: string }): Promise<ResponseSignature> {
  if (!header) return { state: 'absent' };
  const check = await verifyGatewayJws<GatewayResponseClaims>(header, jwks, 'gateway-response+jwt');
  if (!check.ok) return { state: 'invalid', detail: check.detail };
  const c = check.claims;
  if (c.iss !== expect.gatewayId) return { state: 'invalid', detail: `iss ${String(c.iss)} is not the gateway ${expect.gatewayId}` };
  if (c.aud !== expect.agency) return { state: 'invalid', detail: `aud ${String(c.aud)} is not ${expect.agency}` };
  if (c.req_jti !== expect.jti) return { state: 'invalid', detail: 'req_jti is not the jti of this request' };
  if (c.body_sha256 !== (await sha256b64u(body))) return { state: 'invalid', detail: 'body_sha256 does not match the body received' };
  if (!Number.isSafeInteger(c.audit_seq) || c.audit_seq < 0) return { state: 'invalid', detail: 'audit_seq is missing' };
  return { state: 'verified', kid: check.header.kid, auditSeq: c.audit_seq };
}

/**
 * Every call the console makes to the gateway: signed in the page with the operator's key,
 * answered with a gateway signature that is checked here before anything is shown.
 */
export class GatewayApi {
  private jwks: Promise<Jwks> | undefined;
  /** the last answer's signature check, for the status bar */
  lastSignature: ResponseSignature = { state: 'absent' };
  onAnswer: ((answer: SignedAnswer<unknown>, path: string) => void) | undefined;

  constructor(
    readonly session: ApiSession,
    private readonly fetchFn: Fetch = (...args) => fetch(...args),
  ) {}

  gatewayJwks(): Promise<Jwks> {
    if (!this.jwks) {
      this.jwks = this.fetchFn(`${this.session.baseUrl}/.well-known/jwks.json`, { headers: { accept: 'application/json' } }).then(async (res) => {
        if (!res.ok) throw new Error(`JWKS: HTTP ${res.status}`);
        return (await res.json()) as Jwks;
      });
      this.jwks.catch(() => (this.jwks = undefined));
    }
    return this.jwks;
  }

  async send<T>(method: 'GET' | 'POST', path: string, body: string, purpose: Purpose): Promise<SignedAnswer<T>> {
    const { jws, claims } = await signAgencyRequest(this.session.key, {
      agency: this.session.agency,
      gatewayId: this.session.gatewayId,
      method,
      path,
      body,
      purpose,
    });
    const headers: Record<string, string> = { 'X-Agency-Signature': jws, accept: 'application/json' };
    if (method === 'POST') headers['content-type'] = 'application/json';
    const res = await this.fetchFn(`${this.session.baseUrl}${path}`, { method, headers, body: method === 'POST' ? body : undefined, cache: 'no-store', credentials: 'omit' });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const text = new TextDecoder().decode(bytes);
    let json: T | undefined;
    try {
      json = JSON.parse(text) as T;
    } catch {
      json = undefined;
    }
    let signature: ResponseSignature;
    try {
      signature = await checkResponseSignature(res.headers.get('x-gateway-signature'), bytes, await this.gatewayJwks(), {
        gatewayId: this.session.gatewayId,
        agency: this.session.agency,
        jti: claims.jti,
      });
    } catch (e) {
      signature = { state: 'invalid', detail: (e as Error).message };
    }
    const answer: SignedAnswer<T> = { status: res.status, body: text, json, signature, jti: claims.jti };
    const err = errorOf(json);
    if (err) Object.assign(answer, err);
    this.lastSignature = signature;
    this.onAnswer?.(answer as SignedAnswer<unknown>, path);
    return answer;
  }

  get<T>(path: string, purpose: Purpose = 'AUDIT_REVIEW'): Promise<SignedAnswer<T>> {
    return this.send<T>('GET', path, '', purpose);
  }

  graphql<T>(query: string, variables: Record<string, unknown>, purpose: Purpose): Promise<SignedAnswer<{ data?: T; errors?: GraphqlError[] }>> {
    return this.send('POST', '/graphql', JSON.stringify({ query, variables }), purpose);
  }
}

export interface GraphqlError {
  message: string;
  extensions?: { code?: string };
}

function errorOf(json: unknown): { errorCode: string; errorMessage: string } | undefined {
  if (!json || typeof json !== 'object') return undefined;
  const rest = (json as { error?: { code?: unknown; message?: unknown } }).error;
  if (rest && typeof rest.code === 'string') return { errorCode: rest.code, errorMessage: String(rest.message ?? '') };
  const gql = (json as { errors?: GraphqlError[] }).errors;
  if (Array.isArray(gql) && gql.length) return { errorCode: gql[0].extensions?.code ?? 'GRAPHQL_ERROR', errorMessage: gql[0].message };
  return undefined;
}
