import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Job-bank matches taken in by the job-match consumer (docs/contract.md §6), the events already
 * processed (so an event delivered twice is stored once), and relocation referrals made from
 * matches. Subjects are gateway-internal pseudonyms; nothing here holds a raw identifier.
 */
export class JobMatches1795480000000 implements MigrationInterface {
  name = 'JobMatches1795480000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE job_matches (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      publisher text NOT NULL,
      event_id text NOT NULL,
      batch_id text NOT NULL,
      subject text NOT NULL,
      posting_id text NOT NULL,
      title text NOT NULL,
      noc_code text NOT NULL CHECK (noc_code ~ '^[0-9]{5}$'),
      province text NOT NULL,
      city text NOT NULL,
      hourly_wage_cents bigint NOT NULL CHECK (hourly_wage_cents >= 0),
      language_requirement text NOT NULL CHECK (language_requirement IN ('EN', 'FR', 'EN_OR_FR', 'EN_AND_FR')),
      posted_at timestamptz,
      score double precision NOT NULL CHECK (score >= 0 AND score <= 1),
      matched_at timestamptz NOT NULL,
      stored_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (publisher, event_id)
    )`);
    await q.query(`CREATE INDEX job_matches_subject ON job_matches (subject, matched_at DESC, id)`);
    // One row per event stored, written in the same transaction as the match. An event is
    // identified by its publisher and event id (event ids are unique per publisher).
    // ledger_seq is set once the PERMIT entry is appended: a row left NULL by a crash is
    // audited when the event is delivered again.
    await q.query(`CREATE TABLE processed_events (
      publisher text NOT NULL,
      event_id text NOT NULL,
      topic text NOT NULL,
      kafka_partition integer NOT NULL,
      kafka_offset bigint NOT NULL,
      ledger_seq bigint,
      processed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (publisher, event_id)
    )`);
    await q.query(`CREATE TABLE relocation_referrals (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      match_id uuid NOT NULL REFERENCES job_matches (id) ON DELETE CASCADE,
      subject text NOT NULL,
      referred_by text NOT NULL,
      to_agency text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (match_id, to_agency)
    )`);
    await q.query(`CREATE INDEX relocation_referrals_to ON relocation_referrals (to_agency, created_at DESC, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE relocation_referrals`);
    await q.query(`DROP TABLE processed_events`);
    await q.query(`DROP TABLE job_matches`);
  }
}
