import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ClientGrpc } from '@nestjs/microservices';
import type { consentAudit } from '@passerelle/contracts';
import { firstValueFrom, timeout } from 'rxjs';

/** Where the gateway writes one ledger entry per exchange; resolves only once it is durable. */
export interface AuditSink {
  append(entry: consentAudit.AuditEntryInput): Promise<{ seq: number }>;
}

export const LEDGER_GRPC_CLIENT = Symbol('LEDGER_GRPC_CLIENT');

/** How long the gateway waits for the ledger before answering 503 audit_unavailable. */
export const AUDIT_APPEND_TIMEOUT_MS = 5000;

/** The default sink: consent-audit's Ledger.Append over gRPC. */
@Injectable()
export class GrpcAuditSink implements AuditSink, OnModuleInit {
  private ledger: consentAudit.LedgerClient;

  constructor(@Inject(LEDGER_GRPC_CLIENT) private readonly client: ClientGrpc) {}

  onModuleInit() {
    this.ledger = this.client.getService<consentAudit.LedgerClient>('Ledger');
  }

  async append(entry: consentAudit.AuditEntryInput): Promise<{ seq: number }> {
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
