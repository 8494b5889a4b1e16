/**
 * One page of what a caller may see now, walked in key order: the shared paging rule of every
 * listing that discloses claimant data (claimants, jobMatches, referrals).
 *
 * Consent and agreements are applied to each batch BEFORE any filter and before the page is cut,
 * so the nodes, `hasNextPage` and the end position depend only on rows the caller may see:
 * a row hidden by consent is as if it did not exist. `scan` MUST NOT look at values (no filter in
 * SQL): what it reads depends only on which rows exist in key order, never on what they hold.
 *
 * The walk reads at most `maxRows` rows per page. When that bound is reached before the page is
 * full, the page ends there with `hasNextPage` true and the end position is the last row read
 * (an opaque cursor keeps it secret); the next page resumes after it. Only the number of rows
 * between two visible ones can show through this, never a hidden row's values.
 */
export interface PageWalk<Row, Position, Node> {
  /** nodes wanted (the page size) */
  size: number;
  /** rows read in the first step; each step is one scan and one batched decision */
  batch: number;
  /** steps double in size up to this many rows (default: batch), so long runs of hidden rows cost few round trips */
  maxBatch?: number;
  /** rows read at most for one page (≥ batch) */
  maxRows: number;
  /** where the previous page ended; null for the first page */
  after: Position | null;
  /** the next `limit` rows after `after`, in key order, whatever their values */
  scan(after: Position | null, limit: number): Promise<Row[]>;
  positionOf(row: Row): Position;
  /** the rows the caller may see now and that pass its filter, in row order, with their node */
  keep(rows: Row[]): Promise<Array<{ row: Row; node: Node }>>;
}

export interface WalkedPage<Position, Node> {
  nodes: Node[];
  hasNextPage: boolean;
  /** where the next page starts (null: at the start) */
  endPosition: Position | null;
  /** rows read, for metrics and tests */
  rowsRead: number;
}

export async function walkPage<Row, Position, Node>(w: PageWalk<Row, Position, Node>): Promise<WalkedPage<Position, Node>> {
  if (!Number.isInteger(w.size) || w.size < 1) throw new Error('page size must be a whole number ≥ 1');
  const maxBatch = w.maxBatch ?? w.batch;
  if (!Number.isInteger(w.batch) || w.batch < 1 || maxBatch < w.batch || w.maxRows < w.batch) throw new Error('need 1 ≤ batch ≤ maxBatch and batch ≤ maxRows');
  const kept: Array<{ row: Row; node: Node }> = [];
  let position = w.after;
  let read = 0;
  let batch = w.batch;
  for (;;) {
    const limit = Math.min(batch, w.maxRows - read);
    batch = Math.min(maxBatch, batch * 2);
    const rows = await w.scan(position, limit);
    read += rows.length;
    if (rows.length > 0) kept.push(...(await w.keep(rows)));
    if (kept.length > w.size) {
      // One visible row beyond the page: there is a next page, and this page ends at its last node.
      const page = kept.slice(0, w.size);
      return { nodes: page.map((k) => k.node), hasNextPage: true, endPosition: w.positionOf(page[page.length - 1].row), rowsRead: read };
    }
    if (rows.length < limit) {
      const last = kept[kept.length - 1];
      return { nodes: kept.map((k) => k.node), hasNextPage: false, endPosition: last ? w.positionOf(last.row) : w.after, rowsRead: read };
    }
    position = w.positionOf(rows[rows.length - 1]);
    if (read >= w.maxRows) return { nodes: kept.map((k) => k.node), hasNextPage: true, endPosition: position, rowsRead: read };
  }
}
