import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { sha256b64u, signAsGateway, type GatewayKeys } from '@passerelle/crypto';
import { LOGGER, type Logger } from '@passerelle/logger';
import { RegistryHolder, type Registry } from '@passerelle/registry';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Kind, parse as parseGraphql, type OperationDefinitionNode } from 'graphql';
import type { AuditSink } from './audit-sink';
import type { Exchange } from './exchange-context';
import { verifyAgencySignature } from './agency-signature.verifier';
import { AgencyRateLimiter } from './rate-limit';
import { ReplayStore } from './replay-store';
import type { ExchangeRefusalCode, HttpStatusOf } from '../errors/error-codes';
import { SIGNATURE_HEADER, type SignatureErrorCode } from './signature-claims';
import { AUDIT_SINK, GATEWAY_KEYS } from './tokens';
import { BENCH_TRUST_OFF, unverifiedCaller } from './bench-trust-off';

export const GATEWAY_SIGNATURE_HEADER = 'x-gateway-signature';
export const GATEWAY_RESPONSE_TYP = 'gateway-response+jwt';

/** What the hooks keep per request beside the public `request.exchange`. */
interface ExchangeState {
  /** the registry the request was checked against (a reload mid-request does not change it) */
  registry: Registry;
  /** set when the signature verified but a later check failed: the attempt is attributable */
  attributedTo?: { agency: string; kid: string };
  /** set by the JSON parser when the body is not JSON: answered 400 after the signature check */
  bodyError?: string;
}
const states = new WeakMap<FastifyRequest, ExchangeState>();

/** Requests that must be signed: POST /graphql (any method on it, in fact) and everything under /audit. */
export function isSignedRoute(request: FastifyRequest): boolean {
  const path = request.url.split('?', 1)[0];
  const route = request.routeOptions?.url ?? '';
  return path === '/graphql' || route === '/graphql' || path === '/audit' || path.startsWith('/audit/') || route.startsWith('/audit');
}

/** "graphql:<root fields>" or "rest:<METHOD> <path>": the ledger entry's operation. */
export function operationOf(request: FastifyRequest): string {
  const path = request.url.split('?', 1)[0];
  if (path !== '/graphql') return `rest:${request.method} ${path}`;
  const body = request.body as { query?: unknown; operationName?: unknown } | undefined;
  if (!body || typeof body.query !== 'string') return 'graphql:invalid';
  // Agencies send the same few documents over and over: parse each (document, operation) once.
  const cacheKey = JSON.stringify([typeof body.operationName === 'string' ? body.operationName : null, body.query]);
  const cached = operationCache.get(cacheKey);
  if (cached !== undefined) return cached;
  const operation = parseOperation(body.query, body.operationName);
  if (operationCache.size >= OPERATION_CACHE_SIZE) operationCache.clear();
  if (body.query.length <= 20_000) operationCache.set(cacheKey, operation);
  return operation;
}

/** Parsed operation names of recent GraphQL documents (cleared when full: no unbounded growth). */
const operationCache = new Map<string, string>();
const OPERATION_CACHE_SIZE = 1000;

function parseOperation(query: string, operationName: unknown): string {
  const body = { query, operationName };
  try {
    const doc = parseGraphql(body.query, { noLocation: true, maxTokens: 5000 });
    const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const op = typeof body.operationName === 'string' ? ops.find((o) => o.name?.value === body.operationName) : ops[0];
    const fields = (op?.selectionSet.selections ?? []).flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
    return fields.length ? `graphql:${[...new Set(fields)].sort().join(',')}` : 'graphql:invalid';
  } catch {
    return 'graphql:invalid';
  }
}

function errorBody(code: ExchangeRefusalCode, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

async function payloadBytes(payload: unknown): Promise<Buffer> {
  if (payload === null || payload === undefined) return Buffer.alloc(0);
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (Buffer.isBuffer(payload)) return payload;
  if (payload instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of payload) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    return Buffer.concat(chunks);
  }
  return Buffer.from(String(payload), 'utf8');
}

/**
 * The signed exchange, as three Fastify hooks on the gateway's one Fastify instance:
 * - onRequest: opens the exchange record of every request to a signed route (DENY until verified);
 * - preHandler: verifies X-Agency-Signature (all checks of §3, replay last) or answers 401;
 * - onSend: appends the ledger entry (verified or refused) and only then lets the answer go,
 *   signed with the gateway key for verified callers; 503 audit_unavailable if the ledger fails.
 * Plus the application/json parser that keeps the exact body bytes for the digest.
 */
@Injectable()
export class ExchangeHooks implements OnModuleInit {
  /** per-agency token buckets, in this process's memory (rate-limit.ts) */
  private readonly rateLimiter = new AgencyRateLimiter();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
    @Inject(ReplayStore) private readonly replay: ReplayStore,
    @Inject(AUDIT_SINK) private readonly audit: AuditSink,
    @Inject(GATEWAY_KEYS) private readonly keys: GatewayKeys,
    @Inject(LOGGER) private readonly logger: Logger,
    /** bench-only (bench-trust-off.ts): false in every real deployment */
    @Inject(BENCH_TRUST_OFF) private readonly trustOff: boolean = false,
  ) {}

  onModuleInit() {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    this.installJsonParser(fastify);
    fastify.addHook('onRequest', async (request) => this.open(request));
    fastify.addHook('preHandler', async (request, reply) => this.verify(request, reply));
    fastify.addHook('onSend', async (request, reply, payload) => this.record(request, reply, payload));
  }

  private installJsonParser(fastify: FastifyInstance) {
    const defaultParser = fastify.getDefaultJsonParser('error', 'error');
    if (fastify.hasContentTypeParser('application/json')) fastify.removeContentTypeParser('application/json');
    fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
      const raw = body as Buffer;
      request.rawBody = raw;
      if (!isSignedRoute(request)) return defaultParser(request, raw.toString('utf8'), done);
      // On signed routes a bad body must not short-circuit the signature check and its audit entry.
      defaultParser(request, raw.toString('utf8'), (err, parsed) => {
        if (err) {
          const state = states.get(request);
          if (state) state.bodyError = 'the body is not valid JSON';
          return done(null, undefined);
        }
        done(null, parsed);
      });
    });
  }

  private open(request: FastifyRequest) {
    if (!isSignedRoute(request)) return;
    const exchange: Exchange = {
      requestId: randomUUID(),
      requestSha256: sha256b64u(''),
      record: { operation: `rest:${request.method} ${request.url.split('?', 1)[0]}`, decision: 'DENY', reason: 'unverified', subjects: new Set(), fields: new Set() },
    };
    request.exchange = exchange;
    states.set(request, { registry: this.registry.current() });
  }

  private async verify(request: FastifyRequest, reply: FastifyReply) {
    const exchange = request.exchange;
    const state = states.get(request);
    if (!exchange || !state) return;
    const body = request.rawBody ?? Buffer.alloc(0);
    exchange.requestSha256 = sha256b64u(body);
    exchange.record.operation = operationOf(request);
    if (request.rawBody === undefined && request.body !== undefined && request.body !== null) {
      // A body came in through a parser that does not keep bytes (e.g. application/graphql).
      return this.refuse(reply, exchange, 415, 'unsupported_media_type', 'send the request body as application/json');
    }
    if (this.trustOff) {
      // BENCH ONLY: caller taken from the header unverified; no replay check (bench-trust-off.ts).
      const claimed = unverifiedCaller(request.headers[SIGNATURE_HEADER]);
      if (!claimed) return this.refuse(reply, exchange, 401, 'malformed_signature', 'trust-off bench mode still needs a decodable X-Agency-Signature');
      exchange.caller = claimed;
      exchange.record.decision = 'PERMIT';
      exchange.record.reason = 'ok';
      return;
    }
    const result = await verifyAgencySignature(
      { header: request.headers[SIGNATURE_HEADER], method: request.method, url: request.url, body },
      state.registry,
      Math.floor(Date.now() / 1000),
    );
    if (!result.ok) {
      state.attributedTo = result.attributedTo;
      return this.refuse(reply, exchange, 401, result.code, result.message);
    }
    const { caller } = result;
    state.attributedTo = { agency: caller.agency, kid: caller.kid };
    // Before the replay store: a flood is refused without a database round trip (and burns no jti).
    const rate = this.rateLimiter.take(state.registry, caller.agency, Date.now());
    if (!rate.ok) {
      reply.header('retry-after', String(rate.retryAfterSeconds));
      return this.refuse(reply, exchange, 429, 'rate_limited', rate.message);
    }
    let firstUse: boolean;
    try {
      firstUse = await this.replay.firstUse(caller.agency, caller.jti, caller.exp);
    } catch (err) {
      this.logger.error({ err, requestId: exchange.requestId }, 'replay store unavailable: request refused');
      return this.refuse(reply, exchange, 503, 'unavailable', 'the gateway cannot check this request for replay right now; retry later with a new signature');
    }
    if (!firstUse) {
      const code: SignatureErrorCode = 'replayed_request';
      return this.refuse(reply, exchange, 401, code, 'this jti was already used; sign every request with a fresh jti');
    }
    exchange.caller = caller;
    exchange.record.decision = 'PERMIT';
    exchange.record.reason = 'ok';
    if (state.bodyError) return this.refuse(reply, exchange, 400, 'malformed_json', state.bodyError);
  }

  private refuse<C extends ExchangeRefusalCode>(reply: FastifyReply, exchange: Exchange, status: HttpStatusOf<C>, code: C, message: string) {
    exchange.record.decision = 'DENY';
    exchange.record.reason = code;
    return reply.code(status).type('application/json; charset=utf-8').send(errorBody(code, message));
  }

  private async record(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const exchange = request.exchange;
    const state = states.get(request);
    if (!exchange || !state) return payload;
    if (this.trustOff) return payload; // BENCH ONLY: no ledger entry, no response signature
    const bytes = await payloadBytes(payload);
    const record = exchange.record;
    if (record.decision === 'PERMIT' && reply.statusCode >= 400) {
      record.decision = 'DENY';
      record.reason = `http_${reply.statusCode}`;
    }
    const caller = exchange.caller;
    const attributed = caller ?? state.attributedTo;
    let seq: number;
    try {
      ({ seq } = await this.audit.append({
        agency: attributed?.agency ?? '',
        kid: attributed?.kid ?? '',
        jti: caller?.jti ?? '',
        purpose: caller?.purpose ?? '',
        operation: record.operation,
        decision: record.decision,
        reason: record.reason,
        subjects: [...record.subjects].sort(),
        fields: [...record.fields].sort(),
        requestSha256: exchange.requestSha256,
        responseSha256: sha256b64u(bytes),
        requestId: exchange.requestId,
      }));
    } catch (err) {
      this.logger.error({ err, requestId: exchange.requestId, operation: record.operation }, 'ledger append failed: answer withheld');
      reply.removeHeader(GATEWAY_SIGNATURE_HEADER);
      reply.code(503).type('application/json; charset=utf-8');
      return errorBody('audit_unavailable', 'the exchange could not be recorded in the audit ledger, so no answer is released; retry later with a new signature');
    }
    if (!caller) return bytes;
    const signature = await signAsGateway(this.keys, GATEWAY_RESPONSE_TYP, {
      iss: state.registry.gatewayId,
      aud: caller.agency,
      iat: Math.floor(Date.now() / 1000),
      req_jti: caller.jti,
      body_sha256: sha256b64u(bytes),
      audit_seq: seq,
    });
    reply.header(GATEWAY_SIGNATURE_HEADER, signature);
    return bytes;
  }
}
