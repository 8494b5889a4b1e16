import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { JobMatchEvent } from '@passerelle/messaging';
import { firstSeqOf, SEQUENCE_ENTRIES_CALL, sequenceEntries, sequenceParams, type EntryToSequence } from '@passerelle/persistence';
import { DependencyUnavailable } from './dependency';

export interface MatchToStore {
  publisher: string;
  subject: string;
  event: JobMatchEvent;
  topic: string;
  partition: number;
  offset: string;
}

export interface StoreOutcome {
  /** `${publisher}/${eventId}` of the events stored now */
  stored: Set<string>;
  /** stored earlier without their PERMIT entry (by a consumer from before store and audit were one transaction) */
  unaudited: Set<string>;
}

/** A ledger entry owed by a chunk; a PERMIT names the stored event whose processed row gets its seq. */
export interface OwedEntry {
  entry: EntryToSequence;
  permit?: { publisher: string; eventId: string };
}

export const eventKey = (publisher: string, eventId: string) => `${publisher}/${eventId}`;

/** SQL of the job-match consumer. Every failure is a DependencyUnavailable (retry, never dead-letter). */
@Injectable()
export class MatchesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores the matches of events not processed before, their processed_events rows and the ledger
   * entries `owed` names for that outcome, in ONE transaction: all or none. So no match is ever
   * stored without its PERMIT entry (nor an entry committed for a match that was not), and an
   * answer lost after COMMIT cannot append an entry twice: the retry finds every event processed
   * and audited. Events already processed are left alone (duplicates); one whose PERMIT was never
   * recorded (a row from before the entries were written here) is `unaudited`, locked until commit
   * so that two consumers cannot both audit it.
   *
   * The entries are sequenced LAST (ledger_sequence_entries takes the ledger counter's row lock,
   * held to commit: the shorter, the less other sequencers wait), in the statement that records
   * each PERMIT's seq on its processed row. `owed` runs inside the transaction, once per attempt.
   */
  async storeAndAudit(matches: MatchToStore[], owed: (outcome: StoreOutcome) => OwedEntry[]): Promise<StoreOutcome> {
    const unique = new Map<string, MatchToStore>();
    for (const m of matches) if (!unique.has(eventKey(m.publisher, m.event.eventId))) unique.set(eventKey(m.publisher, m.event.eventId), m);
    const rows = [...unique.values()];
    try {
      return await this.dataSource.transaction(async (tx) => {
        const outcome = rows.length > 0 ? await this.storeRows(tx, rows) : { stored: new Set<string>(), unaudited: new Set<string>() };
        const entries = owed(outcome);
        if (entries.length === 0) return outcome;
        const permits = entries.flatMap((e, i) => (e.permit ? [{ ...e.permit, i }] : []));
        const [row] = (await tx.query(
          `WITH s AS (SELECT ${SEQUENCE_ENTRIES_CALL} AS first),
                m AS (UPDATE processed_events p SET ledger_seq = s.first + u.i
                        FROM s, unnest($10::text[], $11::text[], $12::int[]) AS u(publisher, event_id, i)
                       WHERE p.publisher = u.publisher AND p.event_id = u.event_id AND p.ledger_seq IS NULL
                       RETURNING 1)
           SELECT s.first, (SELECT count(*) FROM m)::int AS marked FROM s`,
          [...sequenceParams(entries.map((e) => e.entry)), permits.map((p) => p.publisher), permits.map((p) => p.eventId), permits.map((p) => p.i)],
        )) as Array<{ first: string; marked: number }>;
        firstSeqOf(row?.first);
        // Every PERMIT names a row this transaction inserted or locked unaudited: anything else rolls back.
        if (row.marked !== permits.length) throw new Error(`recorded ${row.marked} PERMIT seqs on processed events, expected ${permits.length}`);
        return outcome;
      });
    } catch (e) {
      throw new DependencyUnavailable('database', e);
    }
  }

  /** The processed and match rows of a transaction (see storeAndAudit). */
  private async storeRows(tx: EntityManager, rows: MatchToStore[]): Promise<StoreOutcome> {
    const inserted = (await tx.query(
      `INSERT INTO processed_events (publisher, event_id, topic, kafka_partition, kafka_offset)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[])
       ON CONFLICT (publisher, event_id) DO NOTHING
       RETURNING publisher, event_id`,
      [rows.map((r) => r.publisher), rows.map((r) => r.event.eventId), rows.map((r) => r.topic), rows.map((r) => r.partition), rows.map((r) => r.offset)],
    )) as Array<{ publisher: string; event_id: string }>;
    const stored = new Set(inserted.map((r) => eventKey(r.publisher, r.event_id)));
    const fresh = rows.filter((r) => stored.has(eventKey(r.publisher, r.event.eventId)));
    if (fresh.length > 0) {
      const p = (f: (m: MatchToStore) => unknown) => fresh.map(f);
      await tx.query(
        `INSERT INTO job_matches (publisher, event_id, batch_id, subject, posting_id, title, noc_code, province, city,
                                  hourly_wage_cents, language_requirement, posted_at, score, matched_at,
                                  min_english_clb, min_french_nclc)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                              $10::bigint[], $11::text[], $12::timestamptz[], $13::float8[], $14::timestamptz[],
                              $15::smallint[], $16::smallint[])`,
        [
          p((m) => m.publisher),
          p((m) => m.event.eventId),
          p((m) => m.event.batchId),
          p((m) => m.subject),
          p((m) => m.event.posting!.id),
          p((m) => m.event.posting!.title),
          p((m) => m.event.posting!.nocCode),
          p((m) => m.event.posting!.province),
          p((m) => m.event.posting!.city),
          p((m) => String(m.event.posting!.hourlyWageCents)),
          p((m) => m.event.posting!.languageRequirement),
          p((m) => m.event.posting!.postedAt || null),
          p((m) => m.event.score),
          p((m) => m.event.matchedAt),
          p((m) => m.event.posting!.minEnglishClb ?? null),
          p((m) => m.event.posting!.minFrenchNclc ?? null),
        ],
      );
    }
    const others = rows.filter((r) => !stored.has(eventKey(r.publisher, r.event.eventId)));
    const unaudited = new Set<string>();
    if (others.length > 0) {
      // Locked in one order (no deadlock between two consumers) before the ledger counter is taken.
      const pending = (await tx.query(
        `SELECT publisher, event_id FROM processed_events
          WHERE (publisher, event_id) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND ledger_seq IS NULL
          ORDER BY publisher, event_id FOR UPDATE`,
        [others.map((r) => r.publisher), others.map((r) => r.event.eventId)],
      )) as Array<{ publisher: string; event_id: string }>;
      for (const r of pending) unaudited.add(eventKey(r.publisher, r.event_id));
    }
    return { stored, unaudited };
  }

  /** Sequences entries in their own transaction (a dead letter's DENY); resolves with the first seq once committed. */
  async appendEntries(entries: EntryToSequence[]): Promise<number> {
    try {
      return await sequenceEntries(this.dataSource, entries);
    } catch (e) {
      throw new DependencyUnavailable('database', e);
    }
  }

  /**
   * Removes the match and processed row of an event whose PERMIT entry was never recorded (it is
   * being dead-lettered instead). Says 'audited' when its PERMIT was recorded after all (then it
   * stays), 'absent' when it was never stored.
   */
  async forgetUnaudited(publisher: string, eventId: string): Promise<'forgotten' | 'audited' | 'absent'> {
    try {
      return await this.dataSource.transaction(async (tx) => {
        const [row] = (await tx.query(`SELECT ledger_seq FROM processed_events WHERE publisher = $1 AND event_id = $2 FOR UPDATE`, [publisher, eventId])) as Array<{ ledger_seq: string | null }>;
        if (!row) return 'absent';
        if (row.ledger_seq !== null) return 'audited';
        await tx.query(`DELETE FROM job_matches WHERE publisher = $1 AND event_id = $2`, [publisher, eventId]);
        await tx.query(`DELETE FROM processed_events WHERE publisher = $1 AND event_id = $2`, [publisher, eventId]);
        return 'forgotten';
      });
    } catch (e) {
      throw new DependencyUnavailable('database', e);
    }
  }

  /** Whether the database answers (the probe that tells a stuck event from a database outage). */
  async answers(): Promise<boolean> {
    try {
      await this.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /** Distinct (subject, publisher) pairs of stored matches, paged by a cursor, for the purge job. */
  async subjectsPage(after: { subject: string; publisher: string } | null, limit: number): Promise<Array<{ subject: string; publisher: string; oldestStoredAt: Date }>> {
    const rows = (await this.dataSource.query(
      `SELECT subject, publisher, min(stored_at) AS oldest FROM job_matches
        WHERE ($1::text IS NULL OR (subject, publisher) > ($1::text, $2::text))
        GROUP BY subject, publisher ORDER BY subject, publisher LIMIT $3`,
      [after?.subject ?? null, after?.publisher ?? null, limit],
    )) as Array<{ subject: string; publisher: string; oldest: Date }>;
    return rows.map((r) => ({ subject: r.subject, publisher: r.publisher, oldestStoredAt: new Date(r.oldest) }));
  }

  /** Deletes the matches (and, by cascade, referrals) of these subjects from this publisher. */
  async purge(subjects: Array<{ subject: string; publisher: string }>): Promise<number> {
    if (subjects.length === 0) return 0;
    const res = (await this.dataSource.query(
      `WITH gone AS (
         DELETE FROM job_matches m USING unnest($1::text[], $2::text[]) AS s(subject, publisher)
          WHERE m.subject = s.subject AND m.publisher = s.publisher RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [subjects.map((s) => s.subject), subjects.map((s) => s.publisher)],
    )) as Array<{ n: number }>;
    return res[0]?.n ?? 0;
  }
}
