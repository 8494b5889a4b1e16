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
  /** what a PERMIT relied on (docs/contract.md §5): filled from Decide verdicts by the disclosure path */
  basis?: RecordBasis;
  /** DENY: the rule that refused, when more precise than the reason */
  rule?: string;
}

/** The legal basis of a record: agreements, their legal bases, consents, program and registry versions. */
export interface RecordBasis {
  agreements: Set<string>;
  legalBasis: Set<string>;
  consents: Set<string>;
  programVersion?: string;
  registryVersion?: string;
}

/** What the disclosure path learns from one Decide verdict (a subset of @passerelle/policy's Verdict). */
export interface BasisVerdict {
  permit: boolean;
  agreementId: string;
  legalBasis?: string;
  consentIds?: string[];
  registryVersion?: string;
}

/** Notes the permits a disclosure relied on: their agreements, legal bases, consents and registry version. */
export function noteBasis(record: ExchangeRecord, verdicts: Iterable<BasisVerdict>, programVersion?: string): void {
  const basis = (record.basis ??= { agreements: new Set(), legalBasis: new Set(), consents: new Set() });
  for (const v of verdicts) {
    if (!v.permit) continue;
    if (v.agreementId) basis.agreements.add(v.agreementId);
    if (v.legalBasis) basis.legalBasis.add(v.legalBasis);
    for (const c of v.consentIds ?? []) basis.consents.add(c);
    if (v.registryVersion) basis.registryVersion = v.registryVersion;
  }
  if (programVersion) basis.programVersion = programVersion;
}

/** One executed root field of a mutation document, with its own ledger entry (its outcome). */
export interface RootFieldOutcome {
  /** "graphql:<field>" or "graphql:<field>#<position>" (graphql/operation-label.ts) */
  operation: string;
  record: ExchangeRecord;
}

/** Per-request state, hung on the Fastify request by the signature hook. */
export interface Exchange {
  requestId: string;
  /** HMAC-SHA256 of the exact request body bytes under the gateway's request-digest key, base64url (request-digest.ts). */
  requestSha256: string;
  caller?: VerifiedCaller;
  /** the request's record: the one entry of a query, of a refusal, or of a document none of whose mutation fields ran */
  record: ExchangeRecord;
  /** executed root fields whose values are mutations (write-ahead audit): one outcome entry each, in execution order */
  outcomes: RootFieldOutcome[];
  /** the root mutation field running now: notes go to its record (mutation fields run one after the other) */
  current?: ExchangeRecord;
  /** the seq of the intent entry written before the first mutation field ran */
  intentSeq?: number;
  /** GraphQL: the response keys of the executed root fields, in order (to number repeated fields; never recorded) */
  rootFieldKeys?: string[];
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
  const record = activeRecord(exchangeOf(request));
  for (const s of subjects) record.subjects.add(s);
  for (const f of fields) record.fields.add(f);
}

/** Notes what a disclosure relied on (Decide verdicts, the program that decided) on the active record. */
export function noteRelied(request: FastifyRequest, verdicts: Iterable<BasisVerdict>, programVersion?: string): void {
  noteBasis(activeRecord(exchangeOf(request)), verdicts, programVersion);
}

/** Notes a refusal: the ledger entry will say DENY with this reason (a contract error code). */
export function noteDenial(request: FastifyRequest, reason: string): void {
  const record = activeRecord(exchangeOf(request));
  record.decision = 'DENY';
  record.reason = reason;
}

/** The record notes go to: the running root mutation field's, else the request's. */
export function activeRecord(exchange: Exchange): ExchangeRecord {
  return exchange.current ?? exchange.record;
}

/** Opens the record of a root mutation field about to run; returns it. */
export function openRootField(exchange: Exchange, operation: string): ExchangeRecord {
  const record: ExchangeRecord = { operation, decision: 'PERMIT', reason: 'ok', subjects: new Set(), fields: new Set() };
  exchange.outcomes.push({ operation, record });
  exchange.current = record;
  return record;
}

/** Closes it; a field that failed without a noted denial is recorded DENY with its error code. */
export function closeRootField(exchange: Exchange, record: ExchangeRecord, failure?: { code: string }): void {
  if (failure && record.decision === 'PERMIT') {
    record.decision = 'DENY';
    record.reason = failure.code;
  }
  if (exchange.current === record) exchange.current = undefined;
}
