import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 17, hours that add up, and the empty-spots question.
 *
 * - `employment_periods`: health-care employment as periods per claimant and provider (employer,
 *   employer's sector, worksite sector, first and last day, hours), supplied with the provider's
 *   claimant record (`submitClaimants`) and replaced as a whole by its next submission. Keyed by
 *   the gateway-internal id; the employer is a keyed reference (HMAC of the normalised business
 *   number), never the number itself. Read under the `healthCareHours` field's agreements.
 * - `count_releases`: what eligibleNotApplied / simulateRule published to each agency (the
 *   classification and the keys of the cells published, never a count or an identity), so that
 *   every later release to that agency is audited against all of them. Append-only.
 */
export class EmploymentPeriods1795565000000 implements MigrationInterface {
  name = 'EmploymentPeriods1795565000000';

  async up(q: QueryRunner): Promise<void> {
    const sectors = `('HEALTH_CARE', 'SOCIAL_ASSISTANCE', 'FOOD_SERVICES', 'SECURITY', 'CLEANING_MAINTENANCE', 'ADMINISTRATION', 'CONSTRUCTION', 'MANUFACTURING', 'AGRICULTURE', 'TRANSPORTATION', 'RETAIL', 'OTHER')`;
    await q.query(`
      CREATE TABLE employment_periods (
        subject text NOT NULL CHECK (subject ~ '^i_[A-Za-z0-9_-]{22}$'),
        provider text NOT NULL,
        employer_ref text NOT NULL CHECK (employer_ref ~ '^e_[A-Za-z0-9_-]{22}$'),
        employer_sector text NOT NULL CHECK (employer_sector IN ${sectors}),
        worksite_sector text NOT NULL CHECK (worksite_sector IN ${sectors}),
        start_day date NOT NULL,
        end_day date NOT NULL,
        hours integer NOT NULL CHECK (hours >= 0),
        supplied_at timestamptz NOT NULL DEFAULT now(),
        request_jti text NOT NULL,
        CHECK (start_day <= end_day),
        CHECK (hours <= 24 * (end_day - start_day + 1))
      )`);
    await q.query(`CREATE INDEX employment_periods_subject_idx ON employment_periods (subject, provider)`);
    await q.query(`CREATE INDEX employment_periods_provider_idx ON employment_periods (provider, subject)`);
    await q.query(`COMMENT ON TABLE employment_periods IS 'Health-care employment periods per (internal id, provider): no raw identifier; employer_ref is a keyed hash'`);

    await q.query(`
      CREATE TABLE count_releases (
        id bigserial PRIMARY KEY,
        agency text NOT NULL,
        program text NOT NULL,
        stream text NOT NULL,
        operation text NOT NULL CHECK (operation IN ('eligibleNotApplied', 'simulateRule')),
        released jsonb NOT NULL,
        released_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX count_releases_agency_idx ON count_releases (agency, program, stream, id)`);
    await q.query(`
      CREATE FUNCTION count_releases_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'count_releases is append-only'; END $$`);
    await q.query(`CREATE TRIGGER count_releases_append_only BEFORE UPDATE OR DELETE ON count_releases FOR EACH ROW EXECUTE FUNCTION count_releases_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE count_releases`);
    await q.query(`DROP FUNCTION count_releases_append_only()`);
    await q.query(`DROP TABLE employment_periods`);
  }
}
