import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Request jtis already used, per agency, until the signature's exp (+ skew) has passed:
 * the replay guard of docs/contract.md §3, shared by every gateway process on the database.
 */
export class AgencyRequestJtis1795470500000 implements MigrationInterface {
  name = 'AgencyRequestJtis1795470500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE agency_request_jtis (
      agency text NOT NULL,
      jti text NOT NULL CHECK (length(jti) BETWEEN 16 AND 128),
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (agency, jti)
    )`);
    await q.query(`CREATE INDEX agency_request_jtis_expires_at ON agency_request_jtis (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE agency_request_jtis`);
  }
}
