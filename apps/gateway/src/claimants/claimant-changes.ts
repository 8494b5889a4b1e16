/** Anything that runs SQL: a DataSource or an EntityManager. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<any>;
}

export interface ChangesSince {
  /** the new mark, read in the same statement */
  mark: string;
  /** the subjects written at or above the old mark (at most `limit` + 1: more means "too many") */
  subjects: string[];
  /** a table was truncated: every subject may have changed */
  everyone: boolean;
  /** rows at or above the old mark may have been pruned: what changed is no longer known */
  pruned: boolean;
}

/** The columns of one statement that answers ChangesSince, for `$since` (xid8 text) and `$limit` (see ClaimantChanges.since). */
export function changesSinceColumns(since: string, limit: string): string {
  return `pg_snapshot_xmin(pg_current_snapshot())::text AS mark,
          ARRAY(SELECT DISTINCT subject FROM spots_changes WHERE xid >= ${since}::xid8 AND subject IS NOT NULL LIMIT ${limit}) AS subjects,
          EXISTS (SELECT 1 FROM spots_changes WHERE xid >= ${since}::xid8 AND subject IS NULL) AS everyone,
          (SELECT through >= ${since}::xid8 FROM spots_changes_pruned) AS pruned`;
}

/**
 * The claimant change log (`spots_changes`, migration 1795571000000): the triggers of
 * claimant_records and employment_periods append, per transaction, the subjects it writes with
 * its transaction id. An in-memory copy of data derived from those tables stays current without
 * reading it all again by holding a MARK, the oldest transaction running before its data was
 * read: every write it may lack is by a transaction at or above the mark, whenever that commits.
 * Used by the empty-spots populations (programs) and the merged statistics population.
 */
export class ClaimantChanges {
  /** Where a copy stands, read BEFORE its data. */
  async mark(q: Queryable): Promise<string> {
    const [row]: Array<{ mark: string }> = await q.query(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS mark`);
    return row.mark;
  }

  /** What changed since `since` (a mark), in one statement (one snapshot of the log). */
  async since(q: Queryable, since: string, limit: number): Promise<ChangesSince> {
    const [row]: Array<Omit<ChangesSince, 'pruned'> & { pruned: boolean | null }> = await q.query(`SELECT ${changesSinceColumns('$1', '$2')}`, [since, limit + 1]);
    return { ...row, pruned: row.pruned === true };
  }

  /**
   * Prunes the log: at most `batch` rows written more than `retention` (a Postgres interval) ago,
   * raising `spots_changes_pruned.through` to the highest xid removed, so that a copy marked at
   * or below it reads everything again. Returns the rows removed.
   */
  async prune(q: Queryable, retention: string, batch = 50_000): Promise<number> {
    const [row]: Array<{ n: number }> = await q.query(
      `WITH gone AS (
         DELETE FROM spots_changes WHERE ctid = ANY(ARRAY(SELECT ctid FROM spots_changes WHERE at < now() - $1::interval LIMIT $2)) RETURNING xid),
       raised AS (
         UPDATE spots_changes_pruned SET through = greatest(through, (SELECT max(xid) FROM gone)) WHERE EXISTS (SELECT 1 FROM gone) RETURNING 1)
       SELECT (SELECT count(*) FROM gone)::int AS n, (SELECT count(*) FROM raised)::int AS raised`,
      [retention, batch],
    );
    return row.n;
  }
}
