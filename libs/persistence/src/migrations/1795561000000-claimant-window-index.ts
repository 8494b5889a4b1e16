import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The claimants listing walks subjects in key order and tests each one's merged values, consent
 * and filter in one statement (apps/gateway/src/disclosure/claimant-window.sql.ts). Covering the
 * values it reads makes that walk an index-only scan over consecutive leaf pages instead of one
 * random heap page per subject (10^6 claimants, a filter matching none: 10,000 heap pages a page).
 * Consents are probed on consents_subject_idx (subject, purpose, recipient), already there.
 */
export class ClaimantWindowIndex1795561000000 implements MigrationInterface {
  name = 'ClaimantWindowIndex1795561000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX claimant_records_window_idx ON claimant_records (subject, provider)
      INCLUDE (supplied_at, claim_status, claim_date, province, work_permit_expiry, noc_code, sector, health_care_hours, hours_period_start, hours_period_end, french_level, english_level)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX claimant_records_window_idx`);
  }
}
