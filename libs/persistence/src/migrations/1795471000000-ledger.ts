import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The verifiable audit ledger (docs/contract.md §5), append-only in the database itself:
 *
 * - `ledger_entries`: entry `seq` as the exact canonical JSON (RFC 8785) that was hashed into
 *   its leaf, plus copies of the searchable attributes (never a raw identifier: subjects are
 *   gateway-internal ids).
 * - `ledger_nodes`: the hash of every COMPLETE subtree (level, idx) of the RFC 9162 tree,
 *   written once when its last leaf is appended; roots and proofs read O(log n) of them.
 * - `ledger_tree_heads`: signed tree heads (compact JWS by the log's own key, see apps/consent-audit/src/ledger/log-key.ts), one per size.
 *
 * Only consent-audit's login may SELECT and INSERT (privileges.ts); triggers refuse UPDATE, DELETE and TRUNCATE from
 * anyone (a superuser must disable them explicitly, which is what a tamper drill does).
 */
export class Ledger1795471000000 implements MigrationInterface {
  name = 'Ledger1795471000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_entries (
        seq bigint PRIMARY KEY CHECK (seq >= 0),
        time timestamptz NOT NULL,
        canonical text NOT NULL,
        leaf_hash bytea NOT NULL CHECK (octet_length(leaf_hash) = 32),
        agency text NOT NULL,
        purpose text NOT NULL,
        operation text NOT NULL,
        decision text NOT NULL CHECK (decision IN ('PERMIT', 'DENY')),
        subjects text[] NOT NULL,
        fields text[] NOT NULL
      )`);
    await q.query(`COMMENT ON TABLE ledger_entries IS 'Audit ledger entries; canonical is exactly the JCS text hashed into leaf_hash. Append-only.'`);
    await q.query(`COMMENT ON COLUMN ledger_entries.subjects IS 'gateway-internal ids i_…; never a client id'`);
    // Operator search: newest first within one attribute, subjects by containment, time ranges.
    await q.query(`CREATE INDEX ledger_entries_subjects_idx ON ledger_entries USING gin (subjects)`);
    await q.query(`CREATE INDEX ledger_entries_agency_idx ON ledger_entries (agency, seq)`);
    await q.query(`CREATE INDEX ledger_entries_purpose_idx ON ledger_entries (purpose, seq)`);
    await q.query(`CREATE INDEX ledger_entries_operation_idx ON ledger_entries (operation, seq)`);
    await q.query(`CREATE INDEX ledger_entries_time_idx ON ledger_entries (time)`);

    await q.query(`
      CREATE TABLE ledger_nodes (
        level int NOT NULL CHECK (level >= 0 AND level < 64),
        idx bigint NOT NULL CHECK (idx >= 0),
        hash bytea NOT NULL CHECK (octet_length(hash) = 32),
        PRIMARY KEY (level, idx)
      )`);
    await q.query(`COMMENT ON TABLE ledger_nodes IS 'Hash of every complete subtree (level, idx) of the RFC 9162 Merkle tree over ledger_entries. Append-only.'`);

    await q.query(`
      CREATE TABLE ledger_tree_heads (
        tree_size bigint PRIMARY KEY CHECK (tree_size >= 0),
        root_hash bytea NOT NULL CHECK (octet_length(root_hash) = 32),
        timestamp_ms bigint NOT NULL,
        jws text NOT NULL
      )`);
    await q.query(`COMMENT ON TABLE ledger_tree_heads IS 'Signed tree heads (typ tree-head+jwt), one per tree size. Append-only.'`);

    await q.query(`
      CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of ['ledger_entries', 'ledger_nodes', 'ledger_tree_heads']) {
      await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON ${table} FROM passerelle_app`);
      await q.query(`GRANT SELECT, INSERT ON ${table} TO passerelle_app`);
      await q.query(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ledger_append_only()`);
      await q.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ledger_tree_heads`);
    await q.query(`DROP TABLE ledger_nodes`);
    await q.query(`DROP TABLE ledger_entries`);
    await q.query(`DROP FUNCTION ledger_append_only()`);
  }
}
