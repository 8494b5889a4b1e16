import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A RELOCATION consent is the claimant's willingness to relocate: it names the provinces the
 * claimant accepts to settle in (issue 16). The column is part of the consent as given, so the
 * only-revocation trigger now keeps it unchanged too.
 */
export class ConsentDestinations1795521000000 implements MigrationInterface {
  name = 'ConsentDestinations1795521000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE consents ADD COLUMN destinations text[] NOT NULL DEFAULT '{}'`);
    await q.query(`COMMENT ON COLUMN consents.destinations IS 'RELOCATION: province codes the claimant accepts to settle in; empty for other purposes'`);
    await q.query(`
      CREATE OR REPLACE FUNCTION consents_only_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'UPDATE' THEN
          RAISE EXCEPTION 'consents rows are never removed (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.revoked_at IS NOT NULL
           OR NEW.revoked_at IS NULL
           OR (NEW.id, NEW.subject, NEW.purpose, NEW.recipient, NEW.collected_by, NEW.valid_from, NEW.expires_at, NEW.evidence_sha256, NEW.granted_at, NEW.destinations)
              IS DISTINCT FROM
              (OLD.id, OLD.subject, OLD.purpose, OLD.recipient, OLD.collected_by, OLD.valid_from, OLD.expires_at, OLD.evidence_sha256, OLD.granted_at, OLD.destinations) THEN
          RAISE EXCEPTION 'a consent may only be revoked, once' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION consents_only_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
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
    await q.query(`ALTER TABLE consents DROP COLUMN destinations`);
  }
}
