import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sequence now, integrate soon (issue 15; docs/ledger.md "Sequencing and integration").
 *
 * - `ledger_sequence`: one row, the next free seq. Only `ledger_sequence_entries` moves it (no app
 *   login may UPDATE it); a trigger refuses any change that does not move it forward, and DELETE
 *   and TRUNCATE.
 * - `ledger_sequence_entries(...)`: the one way into `ledger_entries` for an app. In the caller's
 *   transaction it takes n seqs from the counter (its row lock serialises batches of every process
 *   until COMMIT, so commits land in seq order; a rollback gives the seqs back: no gap) and inserts
 *   the entries with their canonical text `prefix || seq || suffix` and leaf hash, computed here,
 *   after the counter: the bytes are exactly what `buildEntry(seq, time, input)` gives.
 *   A lock held longer than 5 s (lock_timeout) fails the call, so the caller's transaction rolls
 *   back and nothing commits after the caller has given up (docs/threat-model.md row 23).
 *   SECURITY DEFINER: callers need EXECUTE only, never a verb on the ledger tables, so they cannot
 *   take seqs without writing their entries (a gap) or write an entry under a seq not taken.
 *
 * ledger_entries is the sequencing queue: a row there is sequenced and durable. It is in the tree
 * (integrated) once consent-audit's integrator has written its leaf into ledger_nodes (level 0).
 */
export class LedgerSequencing1795560000000 implements MigrationInterface {
  name = 'LedgerSequencing1795560000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE ledger_sequence (
      one boolean PRIMARY KEY DEFAULT true CHECK (one),
      next bigint NOT NULL CHECK (next >= 0)
    )`);
    await q.query(`COMMENT ON TABLE ledger_sequence IS 'The next free ledger seq; moved forward only by ledger_sequence_entries().'`);
    await q.query(`INSERT INTO ledger_sequence (next) SELECT coalesce(max(seq) + 1, 0) FROM ledger_entries`);
    await q.query(`
      CREATE FUNCTION ledger_sequence_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'UPDATE' OR NEW.next < OLD.next OR NEW.one IS DISTINCT FROM OLD.one THEN
          RAISE EXCEPTION 'ledger_sequence only moves forward: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER ledger_sequence_forward_only BEFORE UPDATE OR DELETE ON ledger_sequence FOR EACH ROW EXECUTE FUNCTION ledger_sequence_forward_only()`);
    await q.query(`CREATE TRIGGER ledger_sequence_no_truncate BEFORE TRUNCATE ON ledger_sequence FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()`);
    await q.query(`
      CREATE FUNCTION ledger_sequence_entries(
        times timestamptz[], prefixes text[], suffixes text[], agencies text[], purposes text[],
        operations text[], decisions text[], subjects text[], fields text[]
      ) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET lock_timeout = '5s' AS $$
      DECLARE
        n bigint := coalesce(cardinality(prefixes), 0);
        first bigint;
      BEGIN
        IF n = 0 THEN RAISE EXCEPTION 'ledger_sequence_entries: no entry given' USING ERRCODE = 'invalid_parameter_value'; END IF;
        IF cardinality(times) <> n OR cardinality(suffixes) <> n OR cardinality(agencies) <> n OR cardinality(purposes) <> n
           OR cardinality(operations) <> n OR cardinality(decisions) <> n OR cardinality(subjects) <> n OR cardinality(fields) <> n THEN
          RAISE EXCEPTION 'ledger_sequence_entries: the arrays differ in length' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        -- Last lock of the caller's transaction, held to its end: batches commit in seq order.
        UPDATE ledger_sequence SET next = next + n RETURNING next - n INTO first;
        INSERT INTO ledger_entries (seq, time, canonical, leaf_hash, agency, purpose, operation, decision, subjects, fields)
        SELECT s, t, c, sha256('\\x00'::bytea || convert_to(c, 'UTF8')), a, p, o, d, string_to_array(su, ','), string_to_array(f, ',')
        FROM (
          SELECT first + x.i - 1 AS s, x.t, x.pre || (first + x.i - 1)::text || x.suf AS c, x.a, x.p, x.o, x.d, x.su, x.f
          FROM unnest(times, prefixes, suffixes, agencies, purposes, operations, decisions, subjects, fields) WITH ORDINALITY
            AS x(t, pre, suf, a, p, o, d, su, f, i)
        ) y;
        RETURN first;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION ledger_sequence_entries(timestamptz[], text[], text[], text[], text[], text[], text[], text[], text[])`);
    await q.query(`DROP TABLE ledger_sequence`);
    await q.query(`DROP FUNCTION ledger_sequence_forward_only()`);
  }
}
