import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ClientsModule, type ClientGrpc } from '@nestjs/microservices';
import { consentAuditGrpcOptions, type consentAudit } from '@passerelle/contracts';
import { firstValueFrom, timeout, type Observable } from 'rxjs';
import { CONSUMER_CONFIG, type ConsumerConfig } from '../consumer.config';
import { RefusedForGood, DependencyUnavailable, refusalCodeOf } from './dependency';

export const CONSENT_AUDIT_CHANNEL = Symbol('JOB_MATCH_CONSENT_AUDIT_CHANNEL');
const DEADLINE_MS = 10_000;
/** Most subjects in one Consents.InForce call (the proto's bound). */
const IN_FORCE_MAX = 10_000;

export const consentAuditChannel = ClientsModule.registerAsync([
  {
    name: CONSENT_AUDIT_CHANNEL,
    inject: [CONSUMER_CONFIG],
    useFactory: (config: ConsumerConfig) => consentAuditGrpcOptions(config.CONSENT_AUDIT_URL, config.grpcTls),
  },
]);

/** A well-formed internal id no claimant has (all zero bits): the probe's question involves nobody. */
const PROBE_SUBJECT = 'i_AAAAAAAAAAAAAAAAAAAAAA';

/**
 * The consumer's calls to consent-audit: Consents.InForce (and List, for the purge job) and
 * Ledger.Append for its registry loads. Its events' entries are not sent here: they are sequenced
 * in the transaction that stores the events (JobMatchPipeline). A refusal (INVALID_ARGUMENT, FAILED_PRECONDITION,
 * PERMISSION_DENIED…) is a RefusedForGood, which the consumer may dead-letter the event for;
 * any other failure is a DependencyUnavailable: the consumer retries the event.
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

  /**
   * Consents.InForce: per subject, the recipients with a consent for the purpose in force now, each
   * with the ids of those consents (what the PERMIT entry names), in ONE call per 10,000 subjects.
   */
  async recipientsInForce(subjects: string[], purpose: string): Promise<Map<string, Map<string, string[]>>> {
    const out = new Map<string, Map<string, string[]>>();
    for (let i = 0; i < subjects.length; i += IN_FORCE_MAX) {
      const part = subjects.slice(i, i + IN_FORCE_MAX);
      const res = await call(this.consents.inForce({ subjects: part, purpose, at: '' }));
      for (const s of res.subjects ?? []) {
        const recipients = new Map<string, string[]>((s.recipients ?? []).map((r) => [r, []]));
        for (const c of s.consents ?? []) recipients.get(c.recipient)?.push(c.consentId);
        out.set(s.subject, recipients);
      }
    }
    return out;
  }

  /**
   * Whether consent-audit answers a question that involves no event (Consents.InForce for an id
   * nobody has, which reads its database): tells "this event is refused or stuck" from "consent-audit
   * is down or refuses everyone".
   */
  async answers(): Promise<boolean> {
    try {
      await call(this.consents.inForce({ subjects: [PROBE_SUBJECT], purpose: 'JOB_MATCHING', at: '' }));
      return true;
    } catch {
      return false;
    }
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
    const grpc = e as { code?: unknown; details?: unknown };
    const refusal = refusalCodeOf(grpc?.code);
    if (refusal) throw new RefusedForGood(grpc.code as number, refusal, typeof grpc.details === 'string' ? grpc.details : String(e));
    throw new DependencyUnavailable('consent-audit', e);
  }
}
