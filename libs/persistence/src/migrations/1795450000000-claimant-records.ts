import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Claimant records supplied by providers (issue 5), keyed by the gateway-internal id
 * (`i_…`, see libs/crypto/src/pseudonyms.ts): no raw client id is ever stored.
 *
 * - `claimant_records`: the CURRENT record per (subject, provider). A submission replaces the
 *   provider's record as a whole (a field it no longer holds becomes NULL); every column but the
 *   keys and bookkeeping is nullable because a provider supplies only the fields it holds.
 *   `version` counts accepted changes; `supplied_at` is when the current version was supplied
 *   (an identical resubmission changes nothing, not even supplied_at).
 * - `claimant_record_versions`: append-only history, one row per accepted change (version 1 is
 *   the first submission), with who supplied it (agency, key id, request jti). The app role may
 *   only SELECT and INSERT it; a trigger refuses UPDATE/DELETE/TRUNCATE even for owners.
 *
 * Readers (claimants, programs, statistics) must merge per field across providers and respect
 * agreements: see docs/pseudonyms.md "Claimant records".
 */
export class ClaimantRecords1795450000000 implements MigrationInterface {
  name = 'ClaimantRecords1795450000000';

  async up(q: QueryRunner): Promise<void> {
    const fieldColumns = `
      claim_status text CHECK (claim_status IN ('PENDING', 'ACCEPTED', 'REJECTED', 'APPEAL_PENDING', 'WITHDRAWN')),
      claim_date date,
      province text CHECK (province IN ('AB', 'BC', 'MB', 'NB', 'NL', 'NS', 'NT', 'NU', 'ON', 'PE', 'QC', 'SK', 'YT')),
      work_permit_expiry date,
      noc_code text CHECK (noc_code ~ '^[0-9]{5}$'),
      sector text CHECK (sector IN ('HEALTH_CARE', 'SOCIAL_ASSISTANCE', 'FOOD_SERVICES', 'SECURITY', 'CLEANING_MAINTENANCE', 'ADMINISTRATION', 'CONSTRUCTION', 'MANUFACTURING', 'AGRICULTURE', 'TRANSPORTATION', 'RETAIL', 'OTHER')),
      health_care_hours integer CHECK (health_care_hours >= 0),
      hours_period_start date,
      hours_period_end date,
      french_level smallint CHECK (french_level BETWEEN 1 AND 12),
      CHECK (hours_period_start IS NULL OR hours_period_end IS NULL OR hours_period_start <= hours_period_end),
      CHECK (health_care_hours IS NULL OR (hours_period_start IS NOT NULL AND hours_period_end IS NOT NULL))`;

    await q.query(`
      CREATE TABLE claimant_records (
        subject text NOT NULL CHECK (subject ~ '^i_[A-Za-z0-9_-]{22}$'),
        provider text NOT NULL,
        ${fieldColumns},
        version integer NOT NULL CHECK (version >= 1),
        supplied_at timestamptz NOT NULL,
        supplied_by_kid text NOT NULL,
        PRIMARY KEY (subject, provider)
      )`);
    await q.query(`COMMENT ON TABLE claimant_records IS 'Current claimant record per (internal id, provider agency); no raw identifier. Merge per field across providers under agreements (docs/pseudonyms.md).'`);
    await q.query(`COMMENT ON COLUMN claimant_records.subject IS 'gateway-internal id i_…: HMAC of the normalised client id; never the client id'`);
    await q.query(`COMMENT ON COLUMN claimant_records.health_care_hours IS 'hours worked in health care between hours_period_start and hours_period_end (inclusive)'`);
    await q.query(`COMMENT ON COLUMN claimant_records.french_level IS 'Niveaux de compétence linguistique canadiens (NCLC) 1–12'`);
    await q.query(`COMMENT ON COLUMN claimant_records.noc_code IS 'National Occupational Classification 2021, 5 digits'`);

    // Filters of `claimants(filter)` and the statistics/program readers: every filter column is
    // indexed together with provider, because reads are always restricted to the providers
    // whose agreements cover the field.
    await q.query(`CREATE INDEX claimant_records_province_idx ON claimant_records (province, provider) WHERE province IS NOT NULL`);
    await q.query(`CREATE INDEX claimant_records_claim_status_idx ON claimant_records (claim_status, provider) WHERE claim_status IS NOT NULL`);
    await q.query(`CREATE INDEX claimant_records_noc_code_idx ON claimant_records (noc_code, provider) WHERE noc_code IS NOT NULL`);
    await q.query(`CREATE INDEX claimant_records_sector_idx ON claimant_records (sector, provider) WHERE sector IS NOT NULL`);
    await q.query(`CREATE INDEX claimant_records_work_permit_idx ON claimant_records (work_permit_expiry, provider) WHERE work_permit_expiry IS NOT NULL`);
    await q.query(`CREATE INDEX claimant_records_french_level_idx ON claimant_records (french_level, provider) WHERE french_level IS NOT NULL`);
    await q.query(`CREATE INDEX claimant_records_hours_idx ON claimant_records (health_care_hours, provider) WHERE health_care_hours IS NOT NULL`);
    await q.query(`CREATE INDEX claimant_records_provider_idx ON claimant_records (provider, subject)`);

    await q.query(`
      CREATE TABLE claimant_record_versions (
        subject text NOT NULL,
        provider text NOT NULL,
        version integer NOT NULL,
        ${fieldColumns},
        supplied_at timestamptz NOT NULL,
        supplied_by_kid text NOT NULL,
        request_jti text NOT NULL,
        PRIMARY KEY (subject, provider, version)
      )`);
    await q.query(`COMMENT ON TABLE claimant_record_versions IS 'Append-only history of claimant_records: every accepted change, with the supplying agency (provider), key id and request jti.'`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON claimant_record_versions FROM passerelle_app`);
    await q.query(`
      CREATE FUNCTION claimant_record_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'claimant_record_versions is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER claimant_record_versions_no_update BEFORE UPDATE OR DELETE ON claimant_record_versions FOR EACH ROW EXECUTE FUNCTION claimant_record_versions_append_only()`);
    await q.query(`CREATE TRIGGER claimant_record_versions_no_truncate BEFORE TRUNCATE ON claimant_record_versions FOR EACH STATEMENT EXECUTE FUNCTION claimant_record_versions_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE claimant_record_versions`);
    await q.query(`DROP FUNCTION claimant_record_versions_append_only()`);
    await q.query(`DROP TABLE claimant_records`);
  }
}
