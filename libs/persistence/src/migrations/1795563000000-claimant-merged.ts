import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The statistics dimensions' columns of claimant_records, each kept for a subject's two most recent providers. */
const DIMENSIONS = [
  ['province', 'text'],
  ['claim_status', 'text'],
  ['noc_code', 'text'],
  ['sector', 'text'],
  ['french_level', 'smallint'],
] as const;

/** The order in which a subject's providers take precedence: most recently supplied first, ties by provider id. */
const PRECEDENCE = 'ORDER BY r.supplied_at DESC, r.provider';

/**
 * `claimant_merged` (issue 15): one row per subject for statistics, so a count over merged
 * providers scans one narrow row per claimant instead of grouping every provider's record by
 * subject. It keeps, for the subject's two providers of highest precedence (`provider1`,
 * `provider2`), their values of the statistics dimensions; a query picks, per dimension, the
 * first non-null value among the providers its agreements allow — exactly the merge of
 * apps/gateway/src/statistics (most recently supplied non-null, ties by provider id). A subject
 * with a third provider (`more_providers`) is counted from claimant_records as before.
 *
 * Kept current by statement triggers on claimant_records, so in the same transaction as every
 * submission (and any other write, e.g. the benches' generated rows). The refresh first locks
 * the subjects' rows (in subject order), so of two transactions submitting about the same
 * subject for different providers the later recounts after the earlier commits and sees both
 * records; then it recomputes the rows from claimant_records.
 */
export class ClaimantMerged1795563000000 implements MigrationInterface {
  name = 'ClaimantMerged1795563000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE claimant_merged (
        subject text PRIMARY KEY,
        provider1 text,
        provider2 text,
        more_providers boolean NOT NULL DEFAULT false,
        ${DIMENSIONS.map(([c, t]) => `${c}1 ${t}, ${c}2 ${t}`).join(',\n        ')}
      )`);
    await q.query(`COMMENT ON TABLE claimant_merged IS 'Per subject, the statistics dimensions of its two most recent providers (derived from claimant_records by triggers; no raw identifier)'`);
    await q.query(`CREATE INDEX claimant_merged_more_idx ON claimant_merged (subject) WHERE more_providers`);

    const recompute = `
      WITH m AS (
        SELECT r.subject, array_agg(r.provider ${PRECEDENCE}) AS p,
               ${DIMENSIONS.map(([c]) => `array_agg(r.${c} ${PRECEDENCE}) AS ${c}`).join(',\n               ')}
          FROM claimant_records r JOIN unnest(subjects) AS s(subject) ON s.subject = r.subject
         GROUP BY r.subject)
      UPDATE claimant_merged c
         SET provider1 = m.p[1], provider2 = m.p[2], more_providers = cardinality(m.p) > 2,
             ${DIMENSIONS.map(([c]) => `${c}1 = m.${c}[1], ${c}2 = m.${c}[2]`).join(',\n             ')}
        FROM m WHERE c.subject = m.subject`;
    // Locks the subjects' rows first (in subject order), then recomputes them from claimant_records.
    const refresh = `
        INSERT INTO claimant_merged (subject) SELECT s FROM unnest(subjects) AS s ORDER BY s ON CONFLICT (subject) DO NOTHING;
        PERFORM 1 FROM claimant_merged c JOIN unnest(subjects) AS s(subject) ON s.subject = c.subject ORDER BY c.subject FOR UPDATE OF c;
        ${recompute};
        DELETE FROM claimant_merged c USING unnest(subjects) AS s(subject)
         WHERE c.subject = s.subject AND NOT EXISTS (SELECT 1 FROM claimant_records r WHERE r.subject = c.subject);`;
    // Trigger functions need no EXECUTE grant (app logins are granted no function), so each
    // carries the refresh itself.
    for (const [op, table] of [['INSERT', 'new_rows'], ['UPDATE', 'new_rows'], ['DELETE', 'old_rows']] as const) {
      const fn = `claimant_merged_after_${op.toLowerCase()}`;
      await q.query(`
        CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE subjects text[] := ARRAY(SELECT DISTINCT subject FROM ${table} ORDER BY subject);
        BEGIN
          ${refresh}
          RETURN NULL;
        END $$`);
      await q.query(`CREATE TRIGGER ${fn} AFTER ${op} ON claimant_records REFERENCING ${table === 'new_rows' ? 'NEW' : 'OLD'} TABLE AS ${table} FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);
    }
    await q.query(`CREATE FUNCTION claimant_merged_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM claimant_merged; RETURN NULL; END $$`);
    await q.query(`CREATE TRIGGER claimant_merged_after_truncate AFTER TRUNCATE ON claimant_records FOR EACH STATEMENT EXECUTE FUNCTION claimant_merged_after_truncate()`);

    // The records already stored.
    await q.query(`DO $$ DECLARE subjects text[] := ARRAY(SELECT DISTINCT subject FROM claimant_records ORDER BY subject); BEGIN ${refresh} END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER claimant_merged_after_truncate ON claimant_records`);
    for (const op of ['insert', 'update', 'delete']) {
      await q.query(`DROP TRIGGER claimant_merged_after_${op} ON claimant_records`);
      await q.query(`DROP FUNCTION claimant_merged_after_${op}()`);
    }
    await q.query(`DROP FUNCTION claimant_merged_after_truncate()`);
    await q.query(`DROP TABLE claimant_merged`);
  }
}
