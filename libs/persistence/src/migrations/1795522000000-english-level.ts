import type { MigrationInterface, QueryRunner } from 'typeorm';

/** English level on the CLB scale beside French on NCLC (issue 16), supplied by the agencies that test it. */
export class EnglishLevel1795522000000 implements MigrationInterface {
  name = 'EnglishLevel1795522000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['claimant_records', 'claimant_record_versions']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN english_level smallint CHECK (english_level BETWEEN 1 AND 12)`);
    }
    await q.query(`COMMENT ON COLUMN claimant_records.english_level IS 'Canadian Language Benchmarks (CLB) 1–12'`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['claimant_record_versions', 'claimant_records']) await q.query(`ALTER TABLE ${table} DROP COLUMN english_level`);
  }
}
