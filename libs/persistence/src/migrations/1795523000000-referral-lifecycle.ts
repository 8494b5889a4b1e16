import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The referral lifecycle (issue 16): a status on each referral, moved only compare-and-set
 * (`WHERE status = $from`); every move writes its event (append-only history) and its outbox row
 * (the message for passerelle.referrals.v1, named after the transition) in the same transaction.
 * No claimant identifier in events or messages: the referral id only.
 */
export class ReferralLifecycle1795523000000 implements MigrationInterface {
  name = 'ReferralLifecycle1795523000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE relocation_referrals
      ADD COLUMN status text NOT NULL DEFAULT 'REFERRED'
        CHECK (status IN ('REFERRED', 'CONTACTED', 'ACCEPTED', 'DECLINED', 'RELOCATED', 'EMPLOYED', 'WITHDRAWN')),
      ADD COLUMN status_changed_at timestamptz NOT NULL DEFAULT now()`);
    await q.query(`CREATE INDEX relocation_referrals_by ON relocation_referrals (referred_by, created_at DESC, id)`);
    await q.query(`CREATE TABLE referral_events (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      referral_id uuid NOT NULL REFERENCES relocation_referrals (id) ON DELETE CASCADE,
      from_status text NOT NULL,
      to_status text NOT NULL,
      party text NOT NULL CHECK (party IN ('REFERRING_AGENCY', 'RECEIVING_PROVINCE', 'EMPLOYMENT_AUTHORITY', 'CLAIMANT_CONSENT')),
      agency text,
      reason text NOT NULL,
      at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX referral_events_referral ON referral_events (referral_id, at)`);
    await q.query(`
      CREATE FUNCTION referral_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'referral events are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER referral_events_no_update BEFORE UPDATE OR DELETE ON referral_events FOR EACH ROW EXECUTE FUNCTION referral_events_append_only()`);
    await q.query(`CREATE TABLE referral_outbox (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      topic text NOT NULL,
      message_key text NOT NULL,
      event text NOT NULL,
      payload text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz
    )`);
    await q.query(`CREATE INDEX referral_outbox_pending ON referral_outbox (created_at) WHERE published_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE referral_outbox`);
    await q.query(`DROP TABLE referral_events`);
    await q.query(`DROP FUNCTION referral_events_append_only()`);
    await q.query(`DROP INDEX relocation_referrals_by`);
    await q.query(`ALTER TABLE relocation_referrals DROP COLUMN status, DROP COLUMN status_changed_at`);
  }
}
