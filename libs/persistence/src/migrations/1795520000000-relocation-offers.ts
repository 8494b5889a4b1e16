import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Relocation offers published by receiving provinces (issue 16): what a province offers to
 * claimants who would settle there. No claimant data here; `version` counts amendments so an
 * amendment is compare-and-set on the version the caller saw.
 */
export class RelocationOffers1795520000000 implements MigrationInterface {
  name = 'RelocationOffers1795520000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE relocation_offers (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency text NOT NULL,
      province text NOT NULL,
      regions text[] NOT NULL CHECK (cardinality(regions) BETWEEN 1 AND 20),
      noc_codes text[] NOT NULL CHECK (cardinality(noc_codes) BETWEEN 1 AND 50),
      places integer NOT NULL CHECK (places >= 1),
      period_start date NOT NULL,
      period_end date NOT NULL CHECK (period_end >= period_start),
      language_support text NOT NULL CHECK (language_support IN ('EN', 'FR', 'EN_AND_FR')),
      min_french_level smallint CHECK (min_french_level BETWEEN 1 AND 12),
      min_english_level smallint CHECK (min_english_level BETWEEN 1 AND 12),
      settlement_services text[] NOT NULL,
      contact_kind text NOT NULL CHECK (contact_kind IN ('EMAIL', 'PHONE', 'URL')),
      contact_value text NOT NULL,
      status text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'WITHDRAWN')),
      version integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      withdrawn_at timestamptz
    )`);
    await q.query(`CREATE INDEX relocation_offers_agency ON relocation_offers (agency, created_at DESC, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE relocation_offers`);
  }
}
