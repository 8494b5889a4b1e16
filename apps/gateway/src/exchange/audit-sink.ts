import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ClientGrpc } from '@nestjs/microservices';
import type { consentAudit } from '@passerelle/contracts';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { firstValueFrom, timeout } from 'rxjs';
import { Coalescer } from '../audit/coalescer';

/** Where the gateway writes one ledger entry per exchange; resolves only once it is durable. */
export interface AuditSink {
  append(entry: consentAudit.AuditEntryInput): Promise<{ seq: number }>;
}

export const LEDGER_GRPC_CLIENT = Symbol('LEDGER_GRPC_CLIENT');

/** How long the gateway waits for the ledger before answering 503 audit_unavailable. */
export const AUDIT_APPEND_TIMEOUT_MS = 5000;

/** consent-audit's limit on entries per AppendBatch call. */
export const MAX_APPEND_BATCH = 500;

/**
 * The default sink: consent-audit's Ledger over gRPC. Appends made in the same event-loop turn
 * (concurrent exchanges) go as ONE AppendBatch call, as LedgerClient.append does: one gRPC round
 * trip and one group commit for many exchanges. Each caller still gets its own entry's result,
 * resolved only once that entry is durable. AppendBatch validates every entry before writing any,
 * so when it refuses a batch as invalid, the entries are retried one by one with Append: one bad
 * entry fails only its own exchange, exactly as before.
 */
@Injectable()
export class GrpcAuditSink implements AuditSink, OnModuleInit {
  private ledger: consentAudit.LedgerClient;
  private appends: Coalescer<consentAudit.AuditEntryInput, { seq: number } | { error: unknown }>;

  constructor(@Inject(LEDGER_GRPC_CLIENT) private readonly client: ClientGrpc) {}

  onModuleInit() {
    this.ledger = this.client.getService<consentAudit.LedgerClient>('Ledger');
    this.appends = new Coalescer((entries) => this.appendMany(entries), MAX_APPEND_BATCH);
  }

  async append(entry: consentAudit.AuditEntryInput): Promise<{ seq: number }> {
    const result = await this.appends.submit(entry);
    if ('error' in result) throw result.error;
    return result;
  }

  private async appendMany(entries: consentAudit.AuditEntryInput[]): Promise<Array<{ seq: number } | { error: unknown }>> {
    if (entries.length === 1) return [await this.appendOne(entries[0])];
    try {
      const res = await firstValueFrom(this.ledger.appendBatch({ entries }).pipe(timeout(AUDIT_APPEND_TIMEOUT_MS)));
      return res.results.map((r) => ({ seq: Number(r.seq) }));
    } catch (e) {
      if ((e as { code?: number })?.code !== GrpcStatus.INVALID_ARGUMENT) throw e;
      // Nothing of the batch was written: append each alone so that only the bad entry fails.
      const settled = await Promise.allSettled(entries.map((entry) => this.appendOne(entry)));
      return settled.map((r) => (r.status === 'fulfilled' ? r.value : { error: r.reason }));
    }
  }

  private async appendOne(entry: consentAudit.AuditEntryInput): Promise<{ seq: number }> {
    const res = await firstValueFrom(this.ledger.append({ entry }).pipe(timeout(AUDIT_APPEND_TIMEOUT_MS)));
    return { seq: Number(res.seq) };
  }
}

/** For unit tests: keeps entries in memory; `failNext` makes appends fail. */
export class InMemoryAuditSink implements AuditSink {
  readonly entries: consentAudit.AuditEntryInput[] = [];
  failing = false;

  async append(entry: consentAudit.AuditEntryInput): Promise<{ seq: number }> {
    if (this.failing) throw new Error('ledger unavailable (in-memory sink set to fail)');
    this.entries.push(structuredClone(entry));
    return { seq: this.entries.length - 1 };
  }
}
