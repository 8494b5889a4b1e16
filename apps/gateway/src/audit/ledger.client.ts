import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ClientGrpc } from '@nestjs/microservices';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { consentAudit } from '@passerelle/contracts';
import { firstValueFrom, timeout, type Observable } from 'rxjs';
import { consentAuditChannel } from '../consent-audit-channel';
import { Coalescer } from './coalescer';

/** Injection token of the audit feature's gRPC channel to consent-audit's Ledger. */
export const LEDGER_CHANNEL = Symbol('AUDIT_LEDGER_CHANNEL');

/** How long a ledger read may take before the gateway gives up. */
export const LEDGER_READ_DEADLINE_MS = 15_000;

export const ledgerChannel = consentAuditChannel(LEDGER_CHANNEL);

/** A refusal or failure of the ledger, with its meaning for callers. */
export class LedgerCallError extends Error {
  constructor(
    readonly kind: 'bad_request' | 'out_of_range' | 'not_found' | 'not_integrated' | 'unavailable' | 'internal',
    message: string,
  ) {
    super(message);
    this.name = 'LedgerCallError';
  }
}

/**
 * The gateway's client of consent-audit's Ledger: coalesced appends, and reads (tree heads,
 * entries, proofs, search, disclosures, aggregates), as promises with a deadline and typed failures.
 * Exported by AuditModule for other features.
 */
@Injectable()
export class LedgerClient implements OnModuleInit {
  private ledger: consentAudit.LedgerClient;
  private appends: Coalescer<consentAudit.AuditEntryInput, consentAudit.AppendResponse>;

  constructor(@Inject(LEDGER_CHANNEL) private readonly channel: ClientGrpc) {}

  onModuleInit() {
    this.ledger = this.channel.getService<consentAudit.LedgerClient>('Ledger');
    this.appends = new Coalescer((entries) => call(this.ledger.appendBatch({ entries })).then((r) => r.results), 500);
  }

  /**
   * Appends one entry, resolving once it is durable. Appends made in the same event-loop turn
   * go to consent-audit as ONE AppendBatch call: one gRPC round trip for many exchanges, which
   * is what lets a busy gateway exceed the per-call ceiling of gRPC (usable as an AuditSink).
   */
  async append(entry: consentAudit.AuditEntryInput): Promise<{ seq: number; time: string; leafHash: string }> {
    const r = await this.appends.submit(entry);
    return { seq: Number(r.seq), time: r.time, leafHash: r.leafHash };
  }

  signedTreeHead(treeSize = 0): Promise<consentAudit.SignedTreeHead> {
    return call(this.ledger.getSignedTreeHead({ treeSize }));
  }

  entries(start: number, end: number): Promise<consentAudit.GetEntriesResponse> {
    return call(this.ledger.getEntries({ start, end }));
  }

  inclusionProof(seq: number, treeSize: number): Promise<consentAudit.InclusionProofResponse> {
    return call(this.ledger.getInclusionProof({ seq, treeSize }));
  }

  consistencyProof(first: number, second: number): Promise<consentAudit.ConsistencyProofResponse> {
    return call(this.ledger.getConsistencyProof({ first, second }));
  }

  checkpoint(treeSize = 0): Promise<consentAudit.Checkpoint> {
    return call(this.ledger.getCheckpoint({ treeSize }));
  }

  search(req: consentAudit.SearchEntriesRequest): Promise<consentAudit.SearchEntriesResponse> {
    return call(this.ledger.searchEntries(req));
  }

  disclosures(req: consentAudit.DisclosuresRequest): Promise<consentAudit.DisclosuresResponse> {
    return call(this.ledger.disclosures(req));
  }

  aggregates(req: consentAudit.AggregatesRequest): Promise<consentAudit.AggregatesResponse> {
    return call(this.ledger.aggregates(req));
  }
}

async function call<T>(observable: Observable<T>): Promise<T> {
  try {
    return await firstValueFrom(observable.pipe(timeout(LEDGER_READ_DEADLINE_MS)));
  } catch (e) {
    throw toLedgerCallError(e);
  }
}

/** consent-audit's statuses as the gateway's meaning; its messages name parameters, never identifiers. */
export function toLedgerCallError(e: unknown): LedgerCallError {
  if (e instanceof LedgerCallError) return e;
  if ((e as Error)?.name === 'TimeoutError') return new LedgerCallError('unavailable', 'the audit ledger did not answer in time; try again');
  const err = e as { code?: number; details?: string };
  const details = err?.details ?? 'the audit ledger failed';
  switch (err?.code) {
    case GrpcStatus.INVALID_ARGUMENT:
      return new LedgerCallError('bad_request', details);
    case GrpcStatus.OUT_OF_RANGE:
      return new LedgerCallError('out_of_range', details);
    case GrpcStatus.NOT_FOUND:
      return new LedgerCallError('not_found', details);
    case GrpcStatus.FAILED_PRECONDITION:
      // a promised seq past the maximum merge delay (consent-audit's NotIntegrated)
      return new LedgerCallError('not_integrated', details);
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new LedgerCallError('unavailable', 'the audit ledger is unavailable; try again');
    default:
      return new LedgerCallError('internal', 'the audit ledger failed; see the gateway log');
  }
}
