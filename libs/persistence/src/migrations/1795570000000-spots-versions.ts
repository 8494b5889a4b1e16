import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The tables each version counts writes to. */
const WATCHED = [
  ['population', 'claimant_records'],
  ['population', 'employment_periods'],
  ['applications', 'program_stream_applications'],
] as const;
/** Rows per kind: a writer bumps the row of its backend, so concurrent writers rarely wait on each other. */
const SHARDS = 16;

/**
 * Issue 17 at 10^6 claimants: the gateway keeps the empty-spots population in memory
 * (apps/gateway/src/programs/spots-snapshots.ts) and must know, on every count, whether anything
 * it was read from has changed since.
 *
 * - `spots_versions`: per kind (`population`: claimant_records and employment_periods;
 *   `applications`: program_stream_applications), SHARDS counters. A statement trigger on each
 *   watched table adds 1 to the counter of (kind, backend pid mod SHARDS) in the writing
 *   transaction, so the sum of a kind's counters grows with every committed write and with
 *   nothing else: an equal sum means nothing committed since. Sharding keeps two concurrent
 *   writers from queueing on one row lock until they commit (they meet only when their backends
 *   share a shard).
 * - `count_releases.operation` may also be `programUptake`: uptake releases are recorded and
 *   audited against each other like the empty-spots counts.
 */
export class SpotsVersions1795570000000 implements MigrationInterface {
  name = 'SpotsVersions1795570000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE spots_versions (
        kind text NOT NULL CHECK (kind IN ('population', 'applications')),
        shard smallint NOT NULL CHECK (shard >= 0 AND shard < ${SHARDS}),
        bumps bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, shard)
      )`);
    await q.query(`COMMENT ON TABLE spots_versions IS 'Write counters of the tables the empty-spots population is read from (bumped by statement triggers; no data)'`);
    await q.query(`INSERT INTO spots_versions (kind, shard) SELECT k, s FROM unnest(ARRAY['population', 'applications']) AS k, generate_series(0, ${SHARDS - 1}) AS s`);
    // Trigger functions need no EXECUTE grant (app logins are granted no function).
    await q.query(`
      CREATE FUNCTION spots_versions_bump() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE spots_versions SET bumps = bumps + 1 WHERE kind = TG_ARGV[0] AND shard = pg_backend_pid() % ${SHARDS};
        RETURN NULL;
      END $$`);
    for (const [kind, table] of WATCHED) {
      await q.query(`CREATE TRIGGER ${table}_spots_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION spots_versions_bump('${kind}')`);
    }
    await q.query(`ALTER TABLE count_releases DROP CONSTRAINT count_releases_operation_check`);
    await q.query(`ALTER TABLE count_releases ADD CONSTRAINT count_releases_operation_check CHECK (operation IN ('eligibleNotApplied', 'simulateRule', 'programUptake'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE count_releases DROP CONSTRAINT count_releases_operation_check`);
    await q.query(`ALTER TABLE count_releases ADD CONSTRAINT count_releases_operation_check CHECK (operation IN ('eligibleNotApplied', 'simulateRule')) NOT VALID`);
    for (const [, table] of WATCHED) await q.query(`DROP TRIGGER ${table}_spots_version ON ${table}`);
    await q.query(`DROP FUNCTION spots_versions_bump()`);
    await q.query(`DROP TABLE spots_versions`);
  }
}
