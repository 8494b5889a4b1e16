import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 16: a job-bank posting may state minimum language levels (English CLB, French NCLC, 1–12)
 * on top of the language(s) it requires. Null = no minimum for that language (events from
 * publishers that state none). Table grants already cover new columns.
 */
export class PostingLanguageLevels1795569000000 implements MigrationInterface {
  name = 'PostingLanguageLevels1795569000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE job_matches
        ADD COLUMN min_english_clb smallint CHECK (min_english_clb BETWEEN 1 AND 12),
        ADD COLUMN min_french_nclc smallint CHECK (min_french_nclc BETWEEN 1 AND 12)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE job_matches DROP COLUMN min_english_clb, DROP COLUMN min_french_nclc`);
  }
}
