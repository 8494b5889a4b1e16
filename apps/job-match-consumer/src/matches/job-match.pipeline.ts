import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { consentAudit } from '@passerelle/contracts';
import type { PseudonymKeyring } from '@passerelle/crypto';
import { LOGGER, type Logger } from '@passerelle/logger';
import { deadLetterMessage, JobMatchVerifier, type DeadLetterCode } from '@passerelle/messaging';
import type { EntryToSequence } from '@passerelle/persistence';
import { RegistryHolder } from '@passerelle/registry';
import type { KafkaMessage } from 'kafkajs';
import { CONSUMER_CONFIG, deadLetterTopic, type ConsumerConfig } from '../consumer.config';
import { ConsentAuditClient } from './consent-audit.client';
import { DeadLetterWriter } from './dead-letter.writer';
import { RefusedForGood, DependencyUnavailable, untilDone, type RetryContext } from './dependency';
import { EVENT_ID, operationFor, requestIdFor } from './ledger-labels';
import { checkMessages, type CheckedEvent } from './event-check';
import { ingestBasis, refusalBasis } from './ingest-basis';
import { JOB_MATCHING, JobMatchingConsent } from './job-matching-consent';
import { MatchesMetrics } from './matches.metrics';
import { entriesToSequence } from './match-entries';
import { eventKey, MatchesRepository, type OwedEntry } from './matches.repository';
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
  /** the JOB_MATCHING consents to the publisher in force when the event was checked (its PERMIT names them) */
  consents?: string[];
}

/**
 * One chunk of one partition, in order, with a fixed number of round trips whatever its size:
 * check every event (signature, decoding, fields, pseudonym) in a tight loop, the signatures'
 * key operations on worker threads; ONE Consents.InForce call for all its distinct subjects; ONE
 * transaction storing its matches and processed rows and sequencing every PERMIT and DENY entry
 * owed (ledger_sequence_entries, as the gateway does: docs/ledger.md "Sequence now, integrate
 * soon"), so a match is never stored without its entry nor audited twice; then ONE dead-letter
 * send. A dependency that fails is retried (with backoff) at the step that failed; the caller
 * commits the offsets only after `process` resolves.
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

  /**
   * Checks messages (signature, decoding, fields, pseudonym) without any round trip: the consumer
   * starts the next chunk's checks while this one waits on its database and consent round trips.
   */
  check(messages: readonly KafkaMessage[]): Promise<CheckedEvent[]> {
    return checkMessages(messages, this.verifier, this.keyring, this.pool);
  }

  async process(topic: string, partition: number, messages: KafkaMessage[], ctx: RetryContext, prechecked?: Promise<CheckedEvent[]>): Promise<Record<Outcome, number>> {
    const checked = await (prechecked ?? this.check(messages));
    if (checked.length !== messages.length) throw new Error(`checked ${checked.length} messages of ${messages.length}`);
    const items: Item[] = messages.map((message, i) => ({ message, checked: checked[i] }));
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

    // The ledger entries of every event, built and checked against the ledger's rules before
    // anything is written (an entry the ledger would refuse is a RefusedForGood: the caller isolates
    // the event it concerns). One time and one registry version for the chunk.
    const time = new Date().toISOString();
    const entries = entriesToSequence(
      items.map((i) => this.entryFor(i, topic, partition)),
      time,
      this.registry.current().version,
    );

    // ONE transaction: the matches and processed rows of events not processed before, and the
    // ledger entries owed — a PERMIT for each event stored now (or stored earlier without one), a
    // DENY for each bad event — sequenced in the same commit. What was processed before is a
    // duplicate and owes nothing.
    const good = items.filter((i) => i.checked.ok);
    const bad = items.filter((i) => !i.checked.ok);
    await untilDone(
      () =>
        this.repository.storeAndAudit(
          good.map((i) => {
            const c = i.checked as Extract<CheckedEvent, { ok: true }>;
            return { publisher: c.agency, subject: c.subject, event: c.event, topic, partition, offset: i.message.offset };
          }),
          (outcome) => {
            const owed: OwedEntry[] = [];
            const seen = new Set<string>();
            items.forEach((item, i) => {
              if (item.checked.ok) {
                const c = item.checked;
                const key = eventKey(c.agency, c.event.eventId);
                const first = !seen.has(key);
                seen.add(key);
                item.outcome = first && outcome.stored.has(key) ? 'stored' : 'duplicate';
                // a PERMIT for an event stored now, or stored earlier without one (unaudited)
                if (first && (outcome.stored.has(key) || outcome.unaudited.has(key))) owed.push({ entry: entries[i], permit: { publisher: c.agency, eventId: c.event.eventId } });
              } else {
                item.outcome = 'dead_lettered';
                owed.push({ entry: entries[i] }); // its DENY
              }
            });
            return owed;
          },
        ),
      ctx,
    );
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
    let deny: EntryToSequence[];
    try {
      deny = entriesToSequence([entry], new Date().toISOString(), this.registry.current().version);
    } catch (e) {
      // Nothing of the event is in this entry: the ledger's rules refuse every DENY, a fault of this
      // build that no event can cure. Said loudly, and the partition waits (never dead-letters blind).
      if (e instanceof RefusedForGood) throw new DependencyUnavailable('database', e);
      throw e;
    }
    await untilDone(() => this.repository.appendEntries(deny), ctx);
    await untilDone(() => this.deadLetters.send(deadLetterTopic(topic), [deadLetterMessage(message, code, detail)]), ctx);
    this.metrics.deadLettered.inc({ code });
    this.logger.warn({ topic, partition, offset: message.offset, code }, 'job-match event dead-lettered so that its partition moves on');
    return 'dead_lettered';
  }

  /** Whether the dependencies answer a question that involves no event (consent-audit, then the database). */
  async dependenciesAnswer(): Promise<boolean> {
    return (await this.consentAudit.answers()) && (await this.repository.answers());
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
