import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger's C2SP checkpoints and the witnesses' cosignatures of them (docs/witness.md),
 * append-only like the rest of the ledger (the trigger function of migration 1795471000000):
 *
 * - `ledger_checkpoints`: one c2sp.org/tlog-checkpoint signed note per tree size, signed by the
 *   log's note key (apps/consent-audit/src/ledger/note-key.ts), exactly as served.
 * - `ledger_cosignatures`: one c2sp.org/tlog-cosignature line per (checkpoint, witness), as the
 *   witness answered add-checkpoint; the cosigned checkpoint is the note plus these lines.
 */
export class LedgerCheckpoints1795530000000 implements MigrationInterface {
  name = 'LedgerCheckpoints1795530000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_checkpoints (
        tree_size bigint PRIMARY KEY CHECK (tree_size >= 0),
        root_hash bytea NOT NULL CHECK (octet_length(root_hash) = 32),
        note text NOT NULL,
        signed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`COMMENT ON TABLE ledger_checkpoints IS 'C2SP tlog-checkpoint signed notes of the ledger, one per tree size. Append-only.'`);
    await q.query(`
      CREATE TABLE ledger_cosignatures (
        tree_size bigint NOT NULL REFERENCES ledger_checkpoints (tree_size),
        witness text NOT NULL,
        line text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tree_size, witness)
      )`);
    await q.query(`COMMENT ON TABLE ledger_cosignatures IS 'Witness cosignature lines (cosignature/v1) of ledger checkpoints. Append-only.'`);
    for (const table of ['ledger_checkpoints', 'ledger_cosignatures']) {
      await q.query(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ledger_append_only()`);
      await q.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ledger_cosignatures`);
    await q.query(`DROP TABLE ledger_checkpoints`);
  }
}
