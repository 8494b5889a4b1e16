/**
 * The SQL side of "sequence now, integrate soon" (migration 1795560000000-ledger-sequencing):
 * entries go into ledger_entries through `ledger_sequence_entries`, which takes their seqs from
 * the counter and builds each canonical text as `prefix || seq || suffix`. Shared by the gateway
 * (its exchanges' entries), the job-match consumer (its events' entries, in the transaction that
 * stores them) and consent-audit (its own and its gRPC callers' entries).
 */

/** One entry to sequence: its canonical text around the seq, and the searchable copies. */
export interface EntryToSequence {
  /** ISO-8601 UTC time, exactly as it appears in the canonical text */
  time: string;
  /** the canonical text up to and including `"seq":` */
  prefix: string;
  /** the canonical text after the seq's digits */
  suffix: string;
  agency: string;
  purpose: string;
  operation: string;
  decision: 'PERMIT' | 'DENY';
  subjects: readonly string[];
  fields: readonly string[];
}

/** The call that sequences the entries of $1..$9 (`sequenceParams`); its value is the first seq. */
export const SEQUENCE_ENTRIES_CALL = `ledger_sequence_entries($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`;

/** Sequences the entries of $1..$9 in one call; returns the first seq (`first`). */
export const SEQUENCE_ENTRIES_SQL = `SELECT ${SEQUENCE_ENTRIES_CALL} AS first`;

/** The parameters of the function, in its order ($1..$9). */
export function sequenceParams(entries: readonly EntryToSequence[]): unknown[] {
  return [
    entries.map((e) => e.time),
    entries.map((e) => e.prefix),
    entries.map((e) => e.suffix),
    entries.map((e) => e.agency),
    entries.map((e) => e.purpose),
    entries.map((e) => e.operation),
    entries.map((e) => e.decision),
    // Internal ids and field names never contain a comma (validated on the way in).
    entries.map((e) => e.subjects.join(',')),
    entries.map((e) => e.fields.join(',')),
  ];
}

/** Sequences `entries` (one statement, its own transaction); resolves with the first seq once committed. */
export async function sequenceEntries(db: { query(sql: string, params?: unknown[]): Promise<unknown> }, entries: readonly EntryToSequence[]): Promise<number> {
  // A TypeORM DataSource answers rows; a pg Client a result holding them.
  const res = (await db.query(SEQUENCE_ENTRIES_SQL, sequenceParams(entries))) as Array<{ first: string | number }> | { rows: Array<{ first: string | number }> };
  const rows = Array.isArray(res) ? res : res.rows;
  return firstSeqOf(rows[0]?.first);
}

/** The first seq ledger_sequence_entries() answered (pg gives a bigint as text); throws if it gave none. */
export function firstSeqOf(value: string | number | null | undefined): number {
  const first = Number(value);
  if (!Number.isSafeInteger(first) || first < 0) throw new Error('ledger_sequence_entries returned no seq');
  return first;
}
