import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ClientsModule, type ClientGrpc } from '@nestjs/microservices';
import { consentAuditGrpcOptions, type consentAudit } from '@passerelle/contracts';
import { firstValueFrom, timeout, type Observable } from 'rxjs';
import { CONSUMER_CONFIG, type ConsumerConfig } from '../consumer.config';
import { DependencyUnavailable } from './dependency';

export const CONSENT_AUDIT_CHANNEL = Symbol('JOB_MATCH_CONSENT_AUDIT_CHANNEL');
const DEADLINE_MS = 10_000;

export const consentAuditChannel = ClientsModule.registerAsync([
  {
    name: CONSENT_AUDIT_CHANNEL,
    inject: [CONSUMER_CONFIG],
    useFactory: (config: ConsumerConfig) => consentAuditGrpcOptions(config.CONSENT_AUDIT_URL),
  },
]);

/**
 * The consumer's calls to consent-audit: Ledger.Append and Consents.List. Any failure is a
 * DependencyUnavailable: the consumer retries the event, it never dead-letters it for that.
 */
@Injectable()
export class ConsentAuditClient implements OnModuleInit {
  private ledger!: consentAudit.LedgerClient;
  private consents!: consentAudit.ConsentsClient;

  constructor(@Inject(CONSENT_AUDIT_CHANNEL) private readonly channel: ClientGrpc) {}

  onModuleInit() {
    this.ledger = this.channel.getService<consentAudit.LedgerClient>('Ledger');
    this.consents = this.channel.getService<consentAudit.ConsentsClient>('Consents');
  }

  /** Appends one ledger entry; resolves once it is durably committed, with its seq. */
  async append(entry: consentAudit.AuditEntryInput): Promise<number> {
    const res = await call(this.ledger.append({ entry }));
    return Number(res.seq);
  }

  async listConsents(subject: string): Promise<consentAudit.ConsentRecord[]> {
    const res = await call(this.consents.list({ subject }));
    return res.consents ?? [];
  }
}

async function call<T>(observable: Observable<T>): Promise<T> {
  try {
    return await firstValueFrom(observable.pipe(timeout(DEADLINE_MS)));
  } catch (e) {
    throw new DependencyUnavailable('consent-audit', e);
  }
}
