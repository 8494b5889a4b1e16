import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Relocation events as signed protobuf (issue 16): each outbox row of passerelle.referrals.v1
 * holds the event's bytes (base64 in `payload`) and the gateway's signature over them, written in
 * the transaction of the change, so what the relay publishes is exactly what was signed. Offer
 * changes go through the same outbox. An index for relocationOutcomes (referrals by day made).
 */
export class RelocationEvents1795564000000 implements MigrationInterface {
  name = 'RelocationEvents1795564000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE referral_outbox ADD COLUMN signature text, ADD COLUMN content_type text NOT NULL DEFAULT 'application/json'`);
    await q.query(`CREATE INDEX relocation_referrals_made_at ON relocation_referrals (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX relocation_referrals_made_at`);
    await q.query(`ALTER TABLE referral_outbox DROP COLUMN signature, DROP COLUMN content_type`);
  }
}
