import type { FastifyRequest } from 'fastify';

import type { Purpose } from '@passerelle/registry';

/** The registry's purposes (one list, in @passerelle/registry). */
export type { Purpose };

/** Who is calling, as established by a verified X-Agency-Signature. */
export interface VerifiedCaller {
  agency: string;
  kid: string;
  jti: string;
  purpose: Purpose;
  exp: number;
}

/**
 * What the exchange recorder writes to the ledger for this request. Resolvers and services
 * fill `subjects`/`fields` with what they actually disclosed (internal pseudonyms only), and
 * `decision`/`reason` when they refuse.
 */
export interface ExchangeRecord {
  operation: string;
  decision: 'PERMIT' | 'DENY';
  reason: string;
  subjects: Set<string>;
  fields: Set<string>;
}

/** Per-request state, hung on the Fastify request by the signature hook. */
export interface Exchange {
  requestId: string;
  /** SHA-256 of the exact request body bytes, base64url. */
  requestSha256: string;
  caller?: VerifiedCaller;
  record: ExchangeRecord;
}

declare module 'fastify' {
  interface FastifyRequest {
    exchange?: Exchange;
    rawBody?: Buffer;
  }
}

export function exchangeOf(request: FastifyRequest): Exchange {
  if (!request.exchange) throw new Error('no exchange on this request: the signature hook did not run');
  return request.exchange;
}

/** Notes what was disclosed: the ledger entry of the request will name these subjects and fields. */
export function noteDisclosure(request: FastifyRequest, subjects: Iterable<string>, fields: Iterable<string>): void {
  const record = exchangeOf(request).record;
  for (const s of subjects) record.subjects.add(s);
  for (const f of fields) record.fields.add(f);
}

/** Notes a refusal: the ledger entry will say DENY with this reason (a contract error code). */
export function noteDenial(request: FastifyRequest, reason: string): void {
  const record = exchangeOf(request).record;
  record.decision = 'DENY';
  record.reason = reason;
}
