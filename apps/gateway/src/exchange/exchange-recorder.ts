import { Inject, Injectable } from '@nestjs/common';
import type { consentAudit } from '@passerelle/contracts';
import type { AuditSink } from './audit-sink';
import type { Exchange, ExchangeRecord } from './exchange-context';
import { AUDIT_SINK } from './tokens';

/** Who an entry is attributed to: the verified caller, or the key whose signature verified before a later check failed. */
export interface Attribution {
  agency: string;
  kid: string;
}

/** The reason of a mutation document's intent entry. */
export const INTENT_REASON = 'intent';

/** Pure: the ledger entry of one record of an exchange. */
export function entryOf(exchange: Exchange, attributed: Attribution | undefined, record: ExchangeRecord, responseSha256: string): consentAudit.AuditEntryInput {
  const caller = exchange.caller;
  return {
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
    responseSha256,
    requestId: exchange.requestId,
    // The legal basis (docs/contract.md §5): only a PERMIT names what it relied on; the ledger
    // stamps the registry version in force when the record carries none.
    ...basisOf(record),
  };
}

function basisOf(record: ExchangeRecord): Pick<consentAudit.AuditEntryInput, 'agreements' | 'legalBasis' | 'consents' | 'programVersion' | 'registryVersion' | 'rule'> {
  const b = record.decision === 'PERMIT' ? record.basis : undefined;
  return {
    agreements: b ? [...b.agreements].sort() : [],
    legalBasis: b ? [...b.legalBasis].sort() : [],
    consents: b ? [...b.consents].sort() : [],
    programVersion: b?.programVersion ?? '',
    registryVersion: record.basis?.registryVersion ?? '',
    rule: record.decision === 'DENY' ? (record.rule ?? '') : '',
  };
}

/**
 * Writes an exchange's entries (docs/ledger.md "Mutations"):
 * - a query, a refusal, or a document none of whose mutation fields ran: ONE entry, the request's record;
 * - a mutation document: the INTENT entry before any mutation field runs (PERMIT, reason `intent`,
 *   operation naming every root field, no response digest), then ONE OUTCOME entry per executed
 *   root mutation field, in execution order, before the answer leaves.
 * Each append resolves only once the entry is durable; a failure throws (the caller answers 503).
 */
@Injectable()
export class ExchangeRecorder {
  constructor(@Inject(AUDIT_SINK) private readonly audit: AuditSink) {}

  /** The intent entry of a verified mutation document; sets `exchange.intentSeq`. */
  async appendIntent(exchange: Exchange): Promise<number> {
    const intent: ExchangeRecord = { operation: exchange.record.operation, decision: 'PERMIT', reason: INTENT_REASON, subjects: new Set(), fields: new Set() };
    const { seq } = await this.audit.append(entryOf(exchange, exchange.caller, intent, ''));
    exchange.intentSeq = seq;
    return seq;
  }

  /** The exchange's closing entries; returns the seq the response signature names (the last one). */
  async appendClosing(exchange: Exchange, attributed: Attribution | undefined, responseSha256: string): Promise<number> {
    if (exchange.outcomes.length === 0) return (await this.audit.append(entryOf(exchange, attributed, exchange.record, responseSha256))).seq;
    let last = -1;
    // One after the other: the ledger's order is the order the fields ran.
    for (const outcome of exchange.outcomes) last = (await this.audit.append(entryOf(exchange, attributed, outcome.record, responseSha256))).seq;
    return last;
  }
}
