import type { MigrationInterface, QueryRunner } from 'typeorm';

const SHARDS = 16;
/** The tables the empty-spots population is read from, and what a write to each changes. */
const WATCHED = ['claimant_records', 'employment_periods'] as const;

/**
 * Issue 17: the gateway's empty-spots snapshot (apps/gateway/src/programs/spots-snapshots.ts) is
 * refreshed by re-reading only the subjects written since it was read, instead of the whole
 * population after any write.
 *
 * - `spots_changes`: one row per (writing statement, subject) of claimant_records and
 *   employment_periods — the internal id (`i_…`, never a raw identifier) and the writing
 *   transaction's id (`xid`, xid8: 64 bits, never wraps), appended by statement triggers with
 *   transition tables, in the writing transaction (so it commits or rolls back with the write).
 *   A TRUNCATE appends a row with no subject: everyone changed.
 *   Why transaction ids and not a sequence: a snapshot records the oldest transaction still
 *   running when it read (`pg_snapshot_xmin(pg_current_snapshot())`, taken before the data); every
 *   transaction below it had finished, so its writes were read; every write the snapshot may
 *   have missed has an xid at or above it, whenever it commits. A refresh re-reads the subjects
 *   of every row at or above that mark (a safety window that may re-read a subject already
 *   read, never miss one) — out-of-order commits need nothing more (docs/programs.md).
 * - `spots_changes_pruned`: the highest xid of a pruned row (null: none). The gateway prunes rows
 *   older than a retention; a snapshot whose mark is at or below it reads everything again.
 * - The statement triggers of 1795570000000 that bumped the `population` counters are dropped
 *   (the change log replaces them); the `applications` counter stays.
 */
export class SpotsChanges1795571000000 implements MigrationInterface {
  name = 'SpotsChanges1795571000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE spots_changes (
        xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
        subject text CHECK (subject ~ '^i_[A-Za-z0-9_-]{22}$'),
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`COMMENT ON TABLE spots_changes IS 'Subjects (internal ids) written to claimant_records / employment_periods, by writing transaction id; pruned after a retention (no data, no raw identifier)'`);
    await q.query(`CREATE INDEX spots_changes_xid_idx ON spots_changes (xid)`);
    await q.query(`CREATE INDEX spots_changes_at_idx ON spots_changes USING brin (at)`);
    await q.query(`
      CREATE TABLE spots_changes_pruned (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        through xid8
      )`);
    await q.query(`INSERT INTO spots_changes_pruned DEFAULT VALUES`);
    // Trigger functions need no EXECUTE grant (app logins are granted no function); they run as the writing login.
    for (const [op, rows] of [
      ['insert', 'SELECT subject FROM new_rows'],
      ['update', 'SELECT subject FROM new_rows UNION SELECT subject FROM old_rows'],
      ['delete', 'SELECT subject FROM old_rows'],
    ] as const) {
      await q.query(`
        CREATE FUNCTION spots_changes_after_${op}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO spots_changes (subject) SELECT DISTINCT subject FROM (${rows}) s;
          RETURN NULL;
        END $$`);
    }
    await q.query(`CREATE FUNCTION spots_changes_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO spots_changes (subject) VALUES (NULL); RETURN NULL; END $$`);
    for (const table of WATCHED) {
      await q.query(`DROP TRIGGER ${table}_spots_version ON ${table}`);
      await q.query(`CREATE TRIGGER ${table}_spots_changes_insert AFTER INSERT ON ${table} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION spots_changes_after_insert()`);
      await q.query(`CREATE TRIGGER ${table}_spots_changes_update AFTER UPDATE ON ${table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION spots_changes_after_update()`);
      await q.query(`CREATE TRIGGER ${table}_spots_changes_delete AFTER DELETE ON ${table} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION spots_changes_after_delete()`);
      await q.query(`CREATE TRIGGER ${table}_spots_changes_truncate AFTER TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION spots_changes_after_truncate()`);
    }
    await q.query(`DELETE FROM spots_versions WHERE kind = 'population'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`INSERT INTO spots_versions (kind, shard) SELECT 'population', s FROM generate_series(0, ${SHARDS - 1}) AS s`);
    for (const table of WATCHED) {
      for (const op of ['insert', 'update', 'delete', 'truncate']) await q.query(`DROP TRIGGER ${table}_spots_changes_${op} ON ${table}`);
      await q.query(`CREATE TRIGGER ${table}_spots_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION spots_versions_bump('population')`);
    }
    for (const op of ['insert', 'update', 'delete', 'truncate']) await q.query(`DROP FUNCTION spots_changes_after_${op}()`);
    await q.query(`DROP TABLE spots_changes_pruned`);
    await q.query(`DROP TABLE spots_changes`);
  }
}
