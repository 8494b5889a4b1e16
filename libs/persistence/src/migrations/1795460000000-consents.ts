import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Consents (issue 6), keyed by the gateway-internal id (`i_…`): never a raw identifier.
 *
 * - `consents`: one row per consent a claimant gave to one recipient agency for one purpose,
 *   as collected by an agency. Only the revocation may change afterwards, once: a trigger
 *   refuses any other UPDATE; the app role may not DELETE or TRUNCATE.
 * - `consent_events`: append-only history (granted / revoked, by which agency, when); at most
 *   one event of each kind per consent, which makes revocation idempotent in the database.
 * - `consent_outbox`: the transactional outbox of consent events to publish to Kafka; rows are
 *   inserted in the same transaction as the change, and the relay marks them sent.
 */
export class Consents1795460000000 implements MigrationInterface {
  name = 'Consents1795460000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE consents (
        id uuid PRIMARY KEY,
        subject text NOT NULL CHECK (subject ~ '^i_[A-Za-z0-9_-]{22}$'),
        purpose text NOT NULL,
        recipient text NOT NULL,
        collected_by text NOT NULL,
        valid_from timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        evidence_sha256 text NOT NULL CHECK (evidence_sha256 ~ '^[A-Za-z0-9_-]{43}$'),
        granted_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoked_by text,
        CHECK (expires_at > valid_from),
        CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
      )`);
    await q.query(`COMMENT ON TABLE consents IS 'Consents per (internal id, purpose, recipient agency); immutable except a single revocation.'`);
    await q.query(`COMMENT ON COLUMN consents.subject IS 'gateway-internal id i_…; never the client id'`);
    await q.query(`COMMENT ON COLUMN consents.evidence_sha256 IS 'base64url SHA-256 of the signed consent form, which stays with the collecting agency'`);
    // Decide reads the consents of a page of subjects for one purpose and recipient.
    await q.query(`CREATE INDEX consents_subject_idx ON consents (subject, purpose, recipient)`);
    await q.query(`REVOKE DELETE, TRUNCATE ON consents FROM passerelle_app`);
    await q.query(`
      CREATE FUNCTION consents_only_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'UPDATE' THEN
          RAISE EXCEPTION 'consents rows are never removed (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.revoked_at IS NOT NULL
           OR NEW.revoked_at IS NULL
           OR (NEW.id, NEW.subject, NEW.purpose, NEW.recipient, NEW.collected_by, NEW.valid_from, NEW.expires_at, NEW.evidence_sha256, NEW.granted_at)
              IS DISTINCT FROM
              (OLD.id, OLD.subject, OLD.purpose, OLD.recipient, OLD.collected_by, OLD.valid_from, OLD.expires_at, OLD.evidence_sha256, OLD.granted_at) THEN
          RAISE EXCEPTION 'a consent may only be revoked, once' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER consents_only_revocation BEFORE UPDATE OR DELETE ON consents FOR EACH ROW EXECUTE FUNCTION consents_only_revocation()`);
    await q.query(`CREATE TRIGGER consents_no_truncate BEFORE TRUNCATE ON consents FOR EACH STATEMENT EXECUTE FUNCTION consents_only_revocation()`);

    await q.query(`
      CREATE TABLE consent_events (
        seq bigserial PRIMARY KEY,
        consent_id uuid NOT NULL REFERENCES consents (id),
        event text NOT NULL CHECK (event IN ('granted', 'revoked')),
        agency text NOT NULL,
        at timestamptz NOT NULL,
        UNIQUE (consent_id, event)
      )`);
    await q.query(`COMMENT ON TABLE consent_events IS 'Append-only history of consents: who granted, who revoked, when.'`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON consent_events FROM passerelle_app`);
    await q.query(`
      CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'consent_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER consent_events_no_update BEFORE UPDATE OR DELETE ON consent_events FOR EACH ROW EXECUTE FUNCTION consent_events_append_only()`);
    await q.query(`CREATE TRIGGER consent_events_no_truncate BEFORE TRUNCATE ON consent_events FOR EACH STATEMENT EXECUTE FUNCTION consent_events_append_only()`);

    await q.query(`
      CREATE TABLE consent_outbox (
        id bigserial PRIMARY KEY,
        topic text NOT NULL,
        message_key text NOT NULL,
        payload text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        last_error text
      )`);
    await q.query(`COMMENT ON TABLE consent_outbox IS 'Consent events waiting to be published to Kafka (transactional outbox); no identifier of the person.'`);
    await q.query(`CREATE INDEX consent_outbox_pending_idx ON consent_outbox (id) WHERE sent_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE consent_outbox`);
    await q.query(`DROP TABLE consent_events`);
    await q.query(`DROP FUNCTION consent_events_append_only()`);
    await q.query(`DROP TABLE consents`);
    await q.query(`DROP FUNCTION consents_only_revocation()`);
  }
}
