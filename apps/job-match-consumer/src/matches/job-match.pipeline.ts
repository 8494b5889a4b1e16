import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { consentAudit } from '@passerelle/contracts';
import type { PseudonymKeyring } from '@passerelle/crypto';
import { LOGGER, type Logger } from '@passerelle/logger';
import { deadLetterMessage, JobMatchVerifier, type DeadLetterCode } from '@passerelle/messaging';
import { RegistryHolder } from '@passerelle/registry';
import type { KafkaMessage } from 'kafkajs';
import { CONSUMER_CONFIG, deadLetterTopic, type ConsumerConfig } from '../consumer.config';
import { ConsentAuditClient } from './consent-audit.client';
import { DeadLetterWriter } from './dead-letter.writer';
import { ConsentAuditRefused, DependencyUnavailable, untilDone, type RetryContext } from './dependency';
import { EVENT_ID, operationFor, requestIdFor } from './ledger-labels';
import { checkMessages, type CheckedEvent } from './event-check';
import { ingestBasis, refusalBasis } from './ingest-basis';
import { JOB_MATCHING, JobMatchingConsent } from './job-matching-consent';
import { MatchesMetrics } from './matches.metrics';
import { eventKey, MatchesRepository } from './matches.repository';
import { publisherDirectory } from './publisher-directory';
import { SignaturePool } from './signature-pool';

export const PSEUDONYM_KEYRING = Symbol('PSEUDONYM_KEYRING');

/** The match fields stored (and named in the ledger entry). */
export const STORED_FIELDS = ['postingId', 'title', 'nocCode', 'province', 'city', 'hourlyWageCents', 'languageRequirement', 'postedAt', 'score', 'matchedAt'];

type Outcome = 'stored' | 'duplicate' | 'dead_lettered';

interface Item {
  message: KafkaMessage;
  checked: CheckedEvent;
  outcome?: Outcome;
  /** a PERMIT (stored or unaudited duplicate) or DENY (dead-lettered) entry is owed */
  auditOwed: boolean;
  seq?: number;
  /** the JOB_MATCHING consents to the publisher in force when the event was checked (its PERMIT names them) */
  consents?: string[];
}

/**
 * One chunk of one partition, in order, with a fixed number of round trips whatever its size:
 * check every event (signature, decoding, fields, pseudonym) in a tight loop, the signatures'
 * key operations on worker threads; ONE
 * Consents.InForce call for all its distinct subjects; ONE transaction storing its matches and
 * processed rows (and ONE dead-letter send, alongside); ONE Ledger.AppendBatch with every PERMIT
 * and DENY entry owed; ONE update recording the PERMIT seqs. A dependency that fails is retried
 * (with backoff) at the step that failed; the caller commits the offsets only after `process`
 * resolves.
 */
@Injectable()
export class JobMatchPipeline implements OnModuleDestroy {
  /** public keys imported once per (agency, kid); forgotten when the registry is reloaded */
  private readonly verifier: JobMatchVerifier;
  private readonly stopWatchingRegistry: () => void;
  /** worker threads for the signatures' public-key operations (JOB_MATCH_VERIFY_THREADS; none: inline) */
  private readonly pool: SignaturePool | undefined;

  constructor(
    @Inject(CONSUMER_CONFIG) private readonly config: ConsumerConfig,
    @Inject(PSEUDONYM_KEYRING) private readonly keyring: PseudonymKeyring,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly registry: RegistryHolder,
    private readonly consent: JobMatchingConsent,
    private readonly repository: MatchesRepository,
    private readonly deadLetters: DeadLetterWriter,
    private readonly consentAudit: ConsentAuditClient,
    private readonly metrics: MatchesMetrics,
  ) {
    this.verifier = new JobMatchVerifier(publisherDirectory(registry));
    this.stopWatchingRegistry = registry.onReload(() => this.verifier.clear());
    this.pool = config.JOB_MATCH_VERIFY_THREADS > 0 ? new SignaturePool(config.JOB_MATCH_VERIFY_THREADS) : undefined;
  }

  async onModuleDestroy() {
    this.stopWatchingRegistry();
    await this.pool?.close();
  }

  async process(topic: string, partition: number, messages: KafkaMessage[], ctx: RetryContext): Promise<Record<Outcome, number>> {
    const checked = await checkMessages(messages, this.verifier, this.keyring, this.pool);
    const items: Item[] = messages.map((message, i) => ({ message, checked: checked[i], auditOwed: false }));
    this.metrics.consumed.inc(items.length);

    // Consent for JOB_MATCHING, as it is now, for every well-formed event.
    const candidates = items.filter((i) => i.checked.ok);
    if (candidates.length > 0) {
      const pairs = candidates.map((i) => ({ subject: (i.checked as { subject: string }).subject, publisher: (i.checked as { agency: string }).agency }));
      const inForce = await untilDone(() => this.consent.inForce(pairs), ctx);
      for (const item of candidates) {
        const c = item.checked as Extract<CheckedEvent, { ok: true }>;
        item.consents = inForce.get(`${c.subject}|${c.agency}`);
        if (!item.consents) {
          item.checked = {
            ok: false,
            code: 'consent_missing',
            detail: `no ${JOB_MATCHING} consent to the publisher is in force for this claimant`,
            agency: c.agency,
            kid: c.kid,
            eventId: c.event.eventId,
            subject: c.subject,
            valueSha256: c.valueSha256,
          };
        }
      }
    }

    // Store matches and processed rows together (one transaction; what was processed before is a
    // duplicate).
    const good = items.filter((i) => i.checked.ok);
    const bad = items.filter((i) => !i.checked.ok);
    const outcome = await untilDone(
      () =>
        this.repository.storeNew(
          good.map((i) => {
            const c = i.checked as Extract<CheckedEvent, { ok: true }>;
            return { publisher: c.agency, subject: c.subject, event: c.event, topic, partition, offset: i.message.offset };
          }),
        ),
      ctx,
    );
    const seen = new Set<string>();
    for (const item of good) {
      const c = item.checked as Extract<CheckedEvent, { ok: true }>;
      const key = eventKey(c.agency, c.event.eventId);
      const first = !seen.has(key);
      seen.add(key);
      item.outcome = first && outcome.stored.has(key) ? 'stored' : 'duplicate';
      // a redelivered duplicate whose PERMIT was never appended (a crash in between) is audited now
      item.auditOwed = first && (outcome.stored.has(key) || outcome.unaudited.has(key));
    }
    for (const item of bad) {
      item.outcome = 'dead_lettered';
      item.auditOwed = true;
    }

    // Ledger: PERMIT for what was stored, DENY for every dead letter, in ONE AppendBatch call. A
    // refusal (ConsentAuditRefused) propagates: the caller isolates the event it concerns.
    await untilDone(() => this.appendOwed(items, topic, partition), ctx);
    // Then, once their DENY entries are in, the dead letters (one send: the original key, value and
    // headers, plus the error code and detail). After the ledger, so that an event whose entry the
    // ledger refuses is dead-lettered once, by deadLetterOne, not twice.
    await untilDone(
      () =>
        this.deadLetters.send(
          deadLetterTopic(topic),
          bad.map((i) => {
            const c = i.checked as Extract<CheckedEvent, { ok: false }>;
            return deadLetterMessage(i.message, c.code, c.detail);
          }),
        ),
      ctx,
    );
    const permits = items.filter((i) => i.checked.ok && i.seq !== undefined);
    await untilDone(
      () =>
        this.repository.markAudited(
          permits.map((i) => {
            const c = i.checked as Extract<CheckedEvent, { ok: true }>;
            return { publisher: c.agency, eventId: c.event.eventId, seq: i.seq! };
          }),
        ),
      ctx,
    );

    const counts: Record<Outcome, number> = { stored: 0, duplicate: 0, dead_lettered: 0 };
    for (const item of items) {
      counts[item.outcome!]++;
      if (item.outcome === 'dead_lettered') this.metrics.deadLettered.inc({ code: (item.checked as { code: string }).code });
    }
    this.metrics.stored.inc(counts.stored);
    this.metrics.duplicates.inc(counts.duplicate);
    if (counts.dead_lettered > 0 || counts.duplicate > 0) {
      const codes: Record<string, number> = {};
      for (const i of bad) codes[(i.checked as { code: string }).code] = (codes[(i.checked as { code: string }).code] ?? 0) + 1;
      this.logger.info({ topic, partition, ...counts, codes }, 'job-match events dead-lettered or duplicated');
    }
    return counts;
  }

  /**
   * Dead-letters one event the partition cannot get past (its call refused for good, or held past
   * the bound while consent-audit and the database answer), with a ledger entry that carries
   * nothing of the event the ledger could refuse. An event that is bad in itself keeps its own code;
   * a good one gets `reason`. A stored match whose PERMIT was never recorded is removed first (no
   * effect without its entry); one that was recorded after all is left as processed. If even the
   * minimal entry is refused, the ledger refuses everyone: that is waited out, not dead-lettered.
   */
  async deadLetterOne(topic: string, partition: number, message: KafkaMessage, reason: { code: DeadLetterCode; detail: string }, ctx: RetryContext): Promise<'dead_lettered' | 'already_processed'> {
    const [checked] = await checkMessages([message], this.verifier, this.keyring);
    const code = checked.ok ? reason.code : checked.code;
    const detail = checked.ok ? reason.detail : checked.detail;
    if (checked.ok) {
      const state = await untilDone(() => this.repository.forgetUnaudited(checked.agency, checked.event.eventId), ctx);
      if (state === 'audited') return 'already_processed';
    }
    const eventId = checked.ok ? checked.event.eventId : checked.eventId;
    const entry: consentAudit.AuditEntryInput = {
      agency: checked.agency,
      kid: checked.kid,
      jti: EVENT_ID.test(eventId) ? eventId : '',
      purpose: JOB_MATCHING,
      operation: operationFor(topic),
      decision: 'DENY',
      reason: code,
      subjects: checked.subject ? [checked.subject] : [],
      fields: [],
      requestSha256: checked.valueSha256,
      responseSha256: '',
      requestId: requestIdFor(topic, partition, message.offset),
      ...refusalBasis(this.registry.current()),
    };
    await untilDone(async () => {
      try {
        return await this.consentAudit.appendBatch([entry]);
      } catch (e) {
        if (e instanceof ConsentAuditRefused) throw new DependencyUnavailable('consent-audit', e);
        throw e;
      }
    }, ctx);
    await untilDone(() => this.deadLetters.send(deadLetterTopic(topic), [deadLetterMessage(message, code, detail)]), ctx);
    this.metrics.deadLettered.inc({ code });
    this.logger.warn({ topic, partition, offset: message.offset, code }, 'job-match event dead-lettered so that its partition moves on');
    return 'dead_lettered';
  }

  /** Whether the dependencies answer a question that involves no event (consent-audit, then the database). */
  async dependenciesAnswer(): Promise<boolean> {
    return (await this.consentAudit.answers()) && (await this.repository.answers());
  }

  private async appendOwed(items: Item[], topic: string, partition: number): Promise<void> {
    const owed = items.filter((i) => i.auditOwed && i.seq === undefined);
    if (owed.length === 0) return;
    const seqs = await this.consentAudit.appendBatch(owed.map((i) => this.entryFor(i, topic, partition)));
    for (let i = 0; i < owed.length; i++) owed[i].seq = seqs[i];
  }

  private entryFor(item: Item, topic: string, partition: number): consentAudit.AuditEntryInput {
    const c = item.checked;
    const registry = this.registry.current();
    const base = {
      purpose: JOB_MATCHING,
      operation: operationFor(topic),
      requestSha256: c.valueSha256,
      responseSha256: '',
      requestId: requestIdFor(topic, partition, item.message.offset),
    };
    if (c.ok) {
      // The legal basis (§5.2): the publisher's JOB_MATCHING agreements and the consents relied on.
      const basis = ingestBasis(registry, c.agency, item.consents ?? [], new Date());
      return { ...base, ...basis, agency: c.agency, kid: c.kid, jti: c.event.eventId, decision: 'PERMIT', reason: 'ok', subjects: [c.subject], fields: STORED_FIELDS };
    }
    const decoded = c.code === 'consent_missing' || c.code === 'unknown_pseudonym';
    return {
      ...base,
      ...refusalBasis(registry),
      agency: c.agency,
      kid: c.kid,
      jti: c.eventId,
      decision: 'DENY',
      reason: c.code,
      subjects: c.subject ? [c.subject] : [],
      fields: decoded ? STORED_FIELDS : [],
    };
  }
}
