import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { sha256b64u } from '@passerelle/crypto';
import { LOGGER, type Logger } from '@passerelle/logger';
import { RegistryHolder, type Registry } from '@passerelle/registry';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { graphqlOperationOf } from '../graphql/operation-label';
import { errorBody, installExchangeJsonParser, payloadBytes } from './exchange-body';
import type { Exchange } from './exchange-context';
import { ExchangeRecorder, type Attribution } from './exchange-recorder';
import { requestDigest } from './request-digest';
import { RequestVerifier, type Refusal } from './request-verifier';
import { GATEWAY_SIGNATURE_HEADER, ResponseSigner } from './response-signer';
import { isSignedRoute, pathOf, restOperation } from './signed-routes';
import { REQUEST_DIGEST_KEY } from './tokens';
import { UnverifiedFloods } from './unverified-floods';

export { GATEWAY_RESPONSE_TYP, GATEWAY_SIGNATURE_HEADER } from './response-signer';
export { isSignedRoute } from './signed-routes';

/** What the hooks keep per request beside the public `request.exchange`. */
interface ExchangeState {
  /** the registry the request was checked against (a reload mid-request does not change it) */
  registry: Registry;
  /** set when the signature verified but a later check failed: the attempt is attributable */
  attributedTo?: Attribution;
  /** set by the JSON parser when the body is not JSON: answered 400 after the signature check */
  bodyError?: string;
  /** the preHandler ran (otherwise Fastify or a route hook answered first: 404, 405, 413...) */
  checked?: boolean;
  /** a GraphQL mutation document: its intent entry is written before any field runs */
  mutation?: boolean;
  /** refused beyond its source's limit: counted into an aggregate entry instead of its own (unverified-floods.ts) */
  aggregated?: boolean;
}
/** The answer header naming the request (the ledger entry's `request_id` on signed routes). */
export const REQUEST_ID_HEADER = 'x-request-id';

const states = new WeakMap<FastifyRequest, ExchangeState>();

/**
 * The signed exchange, as small steps on the gateway's one Fastify instance:
 * - onRequest → open: the exchange record of every request to a signed route (DENY until verified);
 * - preHandler → describe (digest, operation label), verify (signature, replay, agency rate),
 *   then, for a mutation document, the intent entry (write-ahead audit): refused 503 when it fails;
 * - onSend → close: the closing entries (one per executed mutation field, else one) are durable
 *   before the answer leaves, signed for verified callers; 503 audit_unavailable if the ledger fails.
 * Refusals of unproven senders count against their source (unverified-floods.ts).
 */
@Injectable()
export class ExchangeHooks implements OnModuleInit {
  /** The digest of an empty body under the key: what a request answered before its body is read records (one HMAC per process, not per request). */
  private emptyBodyDigest: string | undefined;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
    @Inject(RequestVerifier) private readonly verifier: RequestVerifier,
    @Inject(ExchangeRecorder) private readonly recorder: ExchangeRecorder,
    @Inject(ResponseSigner) private readonly signer: ResponseSigner,
    @Inject(UnverifiedFloods) private readonly floods: UnverifiedFloods,
    @Inject(REQUEST_DIGEST_KEY) private readonly digestKey: Buffer,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit() {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    installExchangeJsonParser(fastify, (request) => {
      const state = states.get(request);
      if (state) state.bodyError = 'the body is not valid JSON';
    });
    fastify.addHook('onRequest', async (request, reply) => this.open(request, reply));
    fastify.addHook('preHandler', async (request, reply) => this.verify(request, reply));
    fastify.addHook('onSend', async (request, reply, payload) => this.close(request, reply, payload));
  }

  private open(request: FastifyRequest, reply: FastifyReply) {
    // Every answer names its request: on signed routes this is the ledger entry's request_id.
    const requestId = randomUUID();
    reply.header(REQUEST_ID_HEADER, requestId);
    if (!isSignedRoute(request)) return;
    request.exchange = {
      requestId,
      requestSha256: (this.emptyBodyDigest ??= requestDigest(this.digestKey, '')), // until describe() digests the body
      record: { operation: restOperation(request), decision: 'DENY', reason: 'unverified', subjects: new Set(), fields: new Set() },
      outcomes: [],
    };
    states.set(request, { registry: this.registry.current() });
  }

  private async verify(request: FastifyRequest, reply: FastifyReply) {
    const exchange = request.exchange;
    const state = states.get(request);
    if (!exchange || !state) return;
    state.checked = true;
    const body = this.describe(request, exchange, state);
    if (request.rawBody === undefined && request.body !== undefined && request.body !== null) {
      // A body came in through a parser that does not keep bytes (e.g. application/graphql).
      return this.refuse(request, reply, state, { status: 415, code: 'unsupported_media_type', message: 'send the request body as application/json', unverified: true });
    }
    const check = await this.verifier.check(request, body, state.registry, exchange.requestId);
    if (!check.ok) {
      state.attributedTo = check.attributedTo;
      return this.refuse(request, reply, state, check);
    }
    const { caller } = check;
    state.attributedTo = { agency: caller.agency, kid: caller.kid };
    exchange.caller = caller;
    exchange.record.decision = 'PERMIT';
    exchange.record.reason = 'ok';
    if (state.bodyError) return this.refuse(request, reply, state, { status: 400, code: 'malformed_json', message: state.bodyError, unverified: false });
    if (state.mutation) return this.writeIntent(request, reply, state, exchange);
  }

  /** The body's keyed digest and the exchange's operation label (GraphQL: its executed root fields). */
  private describe(request: FastifyRequest, exchange: Exchange, state: ExchangeState): Buffer {
    const body = request.rawBody ?? Buffer.alloc(0);
    exchange.requestSha256 = requestDigest(this.digestKey, body);
    if (pathOf(request) === '/graphql') {
      const { label, shape } = graphqlOperationOf(request.body);
      exchange.record.operation = label;
      exchange.rootFieldKeys = shape?.rootFields.map((f) => f.responseKey);
      state.mutation = shape?.kind === 'mutation';
    }
    return body;
  }

  /** Write-ahead audit: no mutation field runs before this entry is durable (graphql/root-field-outcomes.ts). */
  private async writeIntent(request: FastifyRequest, reply: FastifyReply, state: ExchangeState, exchange: Exchange) {
    try {
      await this.recorder.appendIntent(exchange);
    } catch (err) {
      this.logger.error({ err, requestId: exchange.requestId, operation: exchange.record.operation }, 'intent entry not appended: mutation not run');
      return this.refuse(request, reply, state, {
        status: 503,
        code: 'audit_unavailable',
        message: 'the mutation could not be recorded in the audit ledger before it ran, so it was not run; retry later with a new signature',
        unverified: false,
      });
    }
  }

  private refuse(request: FastifyRequest, reply: FastifyReply, state: ExchangeState, refusal: Refusal) {
    const exchange = request.exchange!;
    let { status, code, message, retryAfterSeconds } = refusal;
    if (refusal.unverified) {
      const verdict = this.floods.refused(request.ip, code, Date.now());
      if (!verdict.ok) {
        state.aggregated = true;
        ({ message, retryAfterSeconds } = verdict);
        status = 429;
        code = 'rate_limited';
      }
    }
    exchange.record.decision = 'DENY';
    exchange.record.reason = code;
    if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
    return reply.code(status).type('application/json; charset=utf-8').send(errorBody(code, message));
  }

  private async close(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const exchange = request.exchange;
    const state = states.get(request);
    if (!exchange || !state) return payload;
    const record = exchange.record;
    if (record.decision === 'PERMIT' && reply.statusCode >= 400) {
      record.decision = 'DENY';
      record.reason = `http_${reply.statusCode}`;
    }
    if (!state.checked && !state.aggregated) {
      // Answered before verification (404, 405, 413...): an unproven sender, limited like the others.
      record.reason = `http_${reply.statusCode}`;
      const verdict = this.floods.refused(request.ip, record.reason, Date.now());
      if (!verdict.ok) {
        state.aggregated = true;
        reply.code(429).type('application/json; charset=utf-8').header('retry-after', String(verdict.retryAfterSeconds));
        return errorBody('rate_limited', verdict.message);
      }
    }
    if (state.aggregated) return payload; // counted into its source's aggregate entry
    const bytes = await payloadBytes(payload);
    const caller = exchange.caller;
    let seq: number;
    try {
      seq = await this.recorder.appendClosing(exchange, caller ?? state.attributedTo, sha256b64u(bytes));
    } catch (err) {
      this.logger.error({ err, requestId: exchange.requestId, operation: record.operation }, 'ledger append failed: answer withheld');
      reply.removeHeader(GATEWAY_SIGNATURE_HEADER);
      reply.removeHeader('retry-after');
      reply.code(503).type('application/json; charset=utf-8');
      return errorBody('audit_unavailable', 'the exchange could not be recorded in the audit ledger, so no answer is released; retry later with a new signature');
    }
    if (!caller) return bytes;
    const signature = await this.signer.sign(state.registry, caller, bytes, seq);
    if (signature) reply.header(GATEWAY_SIGNATURE_HEADER, signature);
    return bytes;
  }
}
