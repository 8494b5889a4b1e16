import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, type Logger } from '@passerelle/logger';
import type { Registry } from '@passerelle/registry';
import type { FastifyRequest } from 'fastify';
import { verifyAgencySignature } from './agency-signature.verifier';
import type { VerifiedCaller } from './exchange-context';
import type { Attribution } from './exchange-recorder';
import { AGENCY_BUCKET_STORE, AgencyRateLimiter, type AgencyBucketStore } from './rate-limit';
import { ReplayStore } from './replay-store';
import { SIGNATURE_HEADER } from './signature-claims';

/** Why a request is refused, and whether its sender is proven (a refusal of an unproven sender counts against its source). */
export interface Refusal {
  status: number;
  code: string;
  message: string;
  /** true when nothing proves who sent it: no valid signature, or a replay of someone else's */
  unverified: boolean;
  retryAfterSeconds?: number;
}

export type CallerCheck = { ok: true; caller: VerifiedCaller } | ({ ok: false; attributedTo?: Attribution } & Refusal);

/**
 * Who is calling, established in this order (docs/contract.md §3):
 * 1. the signature and its claims (agency-signature.verifier.ts), with no database round trip;
 * 2. the replay check (replay-store.ts), with the gateway's clock;
 * 3. the agency's own rate limit (rate-limit.ts), only for a first use: a replayed request is
 *    refused before it can burn the victim agency's quota.
 */
@Injectable()
export class RequestVerifier {
  /** per-agency token buckets, shared by the gateways on the database (rate-bucket-store.ts) */
  private readonly rateLimiter: AgencyRateLimiter;

  constructor(
    @Inject(ReplayStore) private readonly replay: ReplayStore,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(AGENCY_BUCKET_STORE) buckets: AgencyBucketStore,
  ) {
    this.rateLimiter = new AgencyRateLimiter(buckets);
  }

  async check(request: FastifyRequest, body: Buffer, registry: Registry, requestId: string): Promise<CallerCheck> {
    const nowMs = Date.now();
    const result = await verifyAgencySignature({ header: request.headers[SIGNATURE_HEADER], method: request.method, url: request.url, body }, registry, Math.floor(nowMs / 1000));
    if (!result.ok) return { ok: false, status: 401, code: result.code, message: result.message, unverified: true, attributedTo: result.attributedTo };
    const { caller } = result;
    const attributedTo = { agency: caller.agency, kid: caller.kid };
    let firstUse: boolean;
    try {
      firstUse = await this.replay.firstUse(caller.agency, caller.jti, caller.exp, nowMs);
    } catch (err) {
      this.logger.error({ err, requestId }, 'replay store unavailable: request refused');
      return { ok: false, status: 503, code: 'unavailable', message: 'the gateway cannot check this request for replay right now; retry later with a new signature', unverified: false, attributedTo };
    }
    if (!firstUse) return { ok: false, status: 401, code: 'replayed_request', message: 'this jti was already used; sign every request with a fresh jti', unverified: true, attributedTo };
    let rate;
    try {
      rate = await this.rateLimiter.take(registry, caller.agency, nowMs);
    } catch (err) {
      this.logger.error({ err, requestId }, 'rate-limit store unavailable: request refused');
      return { ok: false, status: 503, code: 'unavailable', message: "the gateway cannot check this agency's rate limit right now; retry later with a new signature", unverified: false, attributedTo };
    }
    if (!rate.ok) return { ok: false, status: 429, code: 'rate_limited', message: rate.message, unverified: false, retryAfterSeconds: rate.retryAfterSeconds, attributedTo };
    return { ok: true, caller };
  }
}
