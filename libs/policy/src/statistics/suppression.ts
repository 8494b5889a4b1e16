/**
 * Small-cell protection for `statistics(groupBy, filter)`. Pure. The method (docs/statistics.md):
 *
 * 1. Every answer is a view of a fixed table: the one-way table of a dimension (no filter), or
 *    one row/column of the two-way table of two dimensions (one filter). Filters come from a
 *    fixed set of coarse dimensions, so no other cut of the population is ever published.
 * 2. Primary suppression: a count from 1 to 9 is never published.
 * 3. Complementary suppression, one-way: never exactly one suppressed cell in a table (the
 *    total is public elsewhere), so the next smallest non-zero cell is suppressed too.
 * 4. Complementary suppression, two-way: the table is protected together with its margins
 *    (the one-way tables, as protected by 3) and its grand total, all of which an attacker
 *    may read from other queries. In the bipartite graph whose nodes are the rows and columns
 *    (margin row and column included) and whose edges are the suppressed cells, a suppressed
 *    value is exactly recoverable by adding and subtracting published numbers if and only if
 *    its edge is a bridge (lies on no cycle). So suppression is extended, cheapest first,
 *    until no suppressed cell is a bridge: every one of them can move up and down along a
 *    cycle without changing anything published. Zeros are never used as complements (an
 *    attacker would learn a bound from them).
 *
 * Because every filtered answer is a slice of the same protected two-way table, asking the
 * same cell through two overlapping queries (by rows, by columns, unfiltered) gives the same
 * pattern, and differencing them recovers nothing.
 */

/** Counts from 1 to MIN_PUBLISHED - 1 are suppressed. */
export const MIN_PUBLISHED = 10;

export interface OneWayCell {
  key: string;
  count: number;
  suppressed: boolean;
}

export function isPrimary(count: number): boolean {
  return count > 0 && count < MIN_PUBLISHED;
}

/** Protects a one-way table (counts per category, the total being public elsewhere). */
export function protectOneWay(counts: ReadonlyMap<string, number> | Iterable<[string, number]>): OneWayCell[] {
  const cells: OneWayCell[] = [...counts].map(([key, count]) => ({ key, count, suppressed: isPrimary(count) }));
  const suppressed = cells.filter((c) => c.suppressed).length;
  if (suppressed === 1) {
    const next = cheapest(cells.filter((c) => !c.suppressed && c.count > 0));
    if (next) next.suppressed = true;
  }
  return cells;
}

function cheapest(cells: OneWayCell[]): OneWayCell | undefined {
  return [...cells].sort((a, b) => a.count - b.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))[0];
}

export interface TwoWayInput {
  /** interior counts, counts[i][j] for row i and column j */
  counts: number[][];
  /** which row margins (row totals) are suppressed in their own one-way table */
  rowMarginSuppressed: boolean[];
  /** which column margins are suppressed in their own one-way table */
  colMarginSuppressed: boolean[];
}

export interface TwoWayProtection {
  /** suppressed[i][j] for the interior cells */
  suppressed: boolean[][];
  /** false when even suppressing every interior cell cannot protect the table (then do not publish it) */
  protectable: boolean;
}

/**
 * Protects the interior of a two-way table whose margins are protected already (and fixed: they
 * are shared with the one-way tables and the other two-way tables). See the module comment.
 */
export function protectTwoWay(input: TwoWayInput): TwoWayProtection {
  const R = input.counts.length;
  const C = R === 0 ? input.colMarginSuppressed.length : input.counts[0].length;
  const counts = input.counts;
  const suppressed = counts.map((row) => row.map((n) => isPrimary(n)));
  // Extended grid: row R is the margin row, column C the margin column; (R, C) is the grand total (public).
  const isEdge = (i: number, j: number): boolean => {
    if (i < R && j < C) return suppressed[i][j];
    if (i < R && j === C) return input.rowMarginSuppressed[i];
    if (i === R && j < C) return input.colMarginSuppressed[j];
    return false;
  };
  const addable = (i: number, j: number, allowZero: boolean) => i < R && j < C && !suppressed[i][j] && (allowZero || counts[i][j] > 0);

  for (let guard = 0; guard <= (R + 1) * (C + 1); guard++) {
    const bridge = findBridge(R + 1, C + 1, isEdge);
    if (!bridge) return { suppressed, protectable: true };
    const fix = bestFourCycle(bridge, R + 1, C + 1, isEdge, (i, j) => addable(i, j, false), (i, j) => counts[i]?.[j] ?? 0) ??
      bestFourCycle(bridge, R + 1, C + 1, isEdge, (i, j) => addable(i, j, true), (i, j) => counts[i]?.[j] ?? 0);
    if (!fix) {
      // No cycle can be made through this cell: suppress everything and check once more.
      for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) suppressed[i][j] = true;
      return { suppressed, protectable: findBridge(R + 1, C + 1, isEdge) === undefined };
    }
    for (const [i, j] of fix) suppressed[i][j] = true;
  }
  /* istanbul ignore next: each round adds at least one suppression */
  throw new Error('protectTwoWay did not converge');
}

type Cell = [number, number];

/**
 * The cheapest set of cells to add so that the bridge (u, v) lies on the 4-cycle u-v-u2-v2:
 * cells (u2, v), (u2, v2), (u, v2), each either suppressed already or addable.
 */
function bestFourCycle(
  [u, v]: Cell,
  rows: number,
  cols: number,
  isEdge: (i: number, j: number) => boolean,
  addable: (i: number, j: number) => boolean,
  value: (i: number, j: number) => number,
): Cell[] | undefined {
  let best: { cells: Cell[]; cost: number } | undefined;
  for (let u2 = 0; u2 < rows; u2++) {
    if (u2 === u) continue;
    for (let v2 = 0; v2 < cols; v2++) {
      if (v2 === v) continue;
      const needed: Cell[] = [];
      let ok = true;
      for (const [i, j] of [
        [u2, v],
        [u2, v2],
        [u, v2],
      ] as Cell[]) {
        if (isEdge(i, j)) continue;
        if (!addable(i, j)) {
          ok = false;
          break;
        }
        needed.push([i, j]);
      }
      if (!ok) continue;
      const cost = needed.reduce((s, [i, j]) => s + value(i, j), 0);
      // Cheapest in suppressed persons, then fewest cells; ties keep the first in row-major order.
      if (!best || cost < best.cost || (cost === best.cost && needed.length < best.cells.length)) best = { cells: needed, cost };
    }
  }
  return best?.cells;
}

/**
 * A bridge of the bipartite graph (row nodes 0..rows-1, column nodes rows..rows+cols-1, an edge
 * for every (i, j) with isEdge), or undefined. Tarjan's low-link, iterative; deterministic order.
 */
export function findBridge(rows: number, cols: number, isEdge: (i: number, j: number) => boolean): Cell | undefined {
  const n = rows + cols;
  const adj: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) if (isEdge(i, j)) {
    adj[i].push(rows + j);
    adj[rows + j].push(i);
  }
  const disc = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  let time = 0;
  for (let root = 0; root < n; root++) {
    if (disc[root] !== -1 || adj[root].length === 0) continue;
    // stack of [node, parent, next neighbour index]
    const stack: Array<[number, number, number]> = [[root, -1, 0]];
    disc[root] = low[root] = time++;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [node, parent] = top;
      if (top[2] < adj[node].length) {
        const next = adj[node][top[2]++];
        if (next === parent) continue; // simple graph: one edge per (row, column)
        if (disc[next] === -1) {
          disc[next] = low[next] = time++;
          stack.push([next, node, 0]);
        } else low[node] = Math.min(low[node], disc[next]);
      } else {
        stack.pop();
        if (parent !== -1) {
          low[parent] = Math.min(low[parent], low[node]);
          if (low[node] > disc[parent]) {
            const [a, b] = parent < rows ? [parent, node] : [node, parent];
            return [a, b - rows];
          }
        }
      }
    }
  }
  return undefined;
}
