import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The agencies' rate-limit token buckets, shared by every gateway process on the database
 * (apps/gateway/src/exchange/rate-bucket-store.ts): one row per limited agency.
 * `capacity`, `wanted` and `granted` are the last take's (the statement returns `granted`).
 */
export class AgencyRateBuckets1795540000000 implements MigrationInterface {
  name = 'AgencyRateBuckets1795540000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE agency_rate_buckets (
      agency text PRIMARY KEY,
      tokens double precision NOT NULL CHECK (tokens >= 0),
      updated_ms bigint NOT NULL,
      capacity integer NOT NULL CHECK (capacity >= 1),
      wanted integer NOT NULL CHECK (wanted >= 1),
      granted integer NOT NULL CHECK (granted >= 0 AND granted <= wanted)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE agency_rate_buckets`);
  }
}
