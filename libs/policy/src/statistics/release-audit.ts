import { isPrimary } from './suppression';

/**
 * Release-history-aware suppression (issue 17). Pure. Counts released to one agency accumulate:
 * each published number is a linear equation over the groups of claimants the agency cannot see
 * apart. A new release is checked TOGETHER with every earlier one to that agency, so that no
 * sequence of releases (overlapping groupings, different rules, what-ifs) lets the agency solve
 * for a small group.
 *
 * - An ATOM is a set of claimants that fall in the same cell of every release (history and the
 *   new one): nothing released can tell them apart. Atoms absent from the data are treated as
 *   known zeros (as if the attacker knew it: conservative).
 * - A published cell is the equation "sum of its atoms = its count".
 * - A group of claimants (any union of atoms, hence any cell, any difference of nested cells)
 *   is REVEALED when its indicator vector lies in the row space of the equations (exact linear
 *   algebra, modulo a prime larger than any count). No group of 1–9 may be revealed: small atoms
 *   are numbered last, so every revealed small group lies in the span of the basis rows pivoted
 *   on small atoms, which are enumerated (beyond 12 of them, the release is taken as revealing).
 * - The new release starts from primary suppression (1–9); while something sensitive is
 *   revealed, the cheapest published non-zero cell of the new release that touches it is
 *   suppressed too; if none is left, the whole release is withheld.
 */
export interface ReleaseCell {
  count: number;
  published: boolean;
}

export interface AuditInput {
  /** memberships[r][i]: the cell of release r claimant i falls in, or -1 (counted in none); the last `fresh` tables are the new ones */
  memberships: ReadonlyArray<ArrayLike<number>>;
  /** cells[r]: the cells of table r (for the new ones, `published` is ignored: decided here) */
  cells: ReadonlyArray<ReadonlyArray<ReleaseCell>>;
}

export interface AuditResult {
  /** for each new table: which of its cells may be published */
  published: boolean[][];
  /** cells suppressed beyond primary suppression, because of the history */
  complementary: number;
  /** every cell withheld: no safe subset of the new release was found */
  withheld: boolean;
}

/** A prime above 2^26: products of two residues stay exact in a double. */
const P = 67_108_859;
const mod = (a: number) => ((a % P) + P) % P;
function inverse(a: number): number {
  // Fermat: a^(P-2) mod P, by squaring with exact products
  let result = 1;
  let base = mod(a);
  let e = P - 2;
  while (e > 0) {
    if (e & 1) result = mulmod(result, base);
    base = mulmod(base, base);
    e = Math.floor(e / 2);
  }
  return result;
}
function mulmod(a: number, b: number): number {
  return (a * b) % P;
}

type Row = Map<number, number>;

/** Sparse reduced row-echelon basis over GF(P), built one equation at a time. */
export class RowSpace {
  /** pivot column → its row (the only row with a non-zero in that column) */
  private readonly pivots = new Map<number, Row>();
  /** column → pivot columns whose rows have a non-zero there (for elimination) */
  private readonly uses = new Map<number, Set<number>>();

  get rank(): number {
    return this.pivots.size;
  }

  /** What remains of `v` after elimination by the basis (empty: v is in the row space). */
  reduce(v: ReadonlyMap<number, number>): Row {
    const r: Row = new Map(v);
    for (const [c, x] of v) if (x === 0) r.delete(c);
    const pending = [...r.keys()].filter((c) => this.pivots.has(c));
    while (pending.length > 0) {
      const c = pending.pop()!;
      const f = r.get(c);
      if (!f) continue;
      for (const [k, y] of this.pivots.get(c)!) {
        const nv = mod((r.get(k) ?? 0) - mulmod(f, y));
        if (nv === 0) r.delete(k);
        else {
          if (!r.has(k) && this.pivots.has(k)) pending.push(k);
          r.set(k, nv);
        }
      }
    }
    return r;
  }

  /** The basis rows whose pivot column is `from` or after (in RREF: they are zero before `from`). */
  rowsFrom(from: number): Row[] {
    return [...this.pivots].filter(([c]) => c >= from).sort(([a], [b]) => a - b).map(([, r]) => r);
  }

  contains(v: ReadonlyMap<number, number>): boolean {
    return this.reduce(v).size === 0;
  }

  add(v: ReadonlyMap<number, number>): boolean {
    const r = this.reduce(v);
    if (r.size === 0) return false;
    let pc = Infinity;
    for (const c of r.keys()) pc = Math.min(pc, c);
    const inv = inverse(r.get(pc)!);
    for (const [k, x] of r) r.set(k, mulmod(x, inv));
    // Eliminate the new pivot column from every row that has it.
    for (const other of [...(this.uses.get(pc) ?? [])]) {
      const row = this.pivots.get(other)!;
      const f = row.get(pc);
      if (!f) continue;
      for (const [k, y] of r) {
        const nv = mod((row.get(k) ?? 0) - mulmod(f, y));
        if (nv === 0) {
          row.delete(k);
          this.uses.get(k)?.delete(other);
        } else {
          row.set(k, nv);
          this.use(k, other);
        }
      }
    }
    this.pivots.set(pc, r);
    for (const k of r.keys()) this.use(k, pc);
    return true;
  }

  private use(col: number, pivot: number) {
    let s = this.uses.get(col);
    if (!s) this.uses.set(col, (s = new Set()));
    s.add(pivot);
  }
}

export interface Atoms {
  /** members[r][cell]: the atoms of that cell */
  members: number[][][];
  size: number[];
  /** atoms from here on count 1–9 (numbered last, so that the row-echelon form isolates them) */
  firstSmall: number;
}

/** Signature ids per stage up to this many (previous id × cells) pairs are looked up in an array, not a map. */
const DIRECT_PAIRS = 1 << 22;

/**
 * Groups claimants by their cells across all tables; small atoms get the highest numbers.
 * Atoms are numbered in order of first appearance of their signature (a claimant's cell in
 * every table), claimants counted in no table left out. The signature is built table by table:
 * at each stage a claimant's id is that of the pair (id so far, cell in this table), numbered
 * in order of first appearance, so the last stage numbers whole signatures in order of first
 * appearance, with small integer keys whatever the number of tables.
 */
export function atomsOf(input: AuditInput): Atoms {
  const R = input.memberships.length;
  const n = R === 0 ? 0 : input.memberships[0].length;
  let ids = new Int32Array(n);
  let distinct = 1;
  for (let r = 0; r < R; r++) {
    const m = input.memberships[r];
    const width = input.cells[r].length + 1;
    const next = new Int32Array(n);
    let assigned = 0;
    if (distinct * width <= DIRECT_PAIRS) {
      const pair = new Int32Array(distinct * width).fill(-1);
      for (let i = 0; i < n; i++) {
        const key = ids[i] * width + m[i] + 1;
        let a = pair[key];
        if (a < 0) pair[key] = a = assigned++;
        next[i] = a;
      }
    } else {
      const pair = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        const key = ids[i] * width + m[i] + 1;
        let a = pair.get(key);
        if (a === undefined) pair.set(key, (a = assigned++));
        next[i] = a;
      }
    }
    ids = next;
    distinct = assigned;
  }
  // Per signature: its first claimant and its size; the signature of no cell is not an atom.
  const first = new Int32Array(distinct).fill(-1);
  const size0 = new Array<number>(distinct).fill(0);
  for (let i = 0; i < n; i++) {
    const a = ids[i];
    if (first[a] < 0) first[a] = i;
    size0[a]++;
  }
  const sigs: number[][] = [];
  const count: number[] = [];
  for (let a = 0; a < distinct; a++) {
    const i = first[a];
    if (i < 0) continue;
    const sig = input.memberships.map((m) => m[i]);
    if (sig.every((c) => c < 0)) continue;
    sigs.push(sig);
    count.push(size0[a]);
  }
  const order = sigs.map((_, a) => a).sort((x, y) => Number(isPrimary(count[x])) - Number(isPrimary(count[y])) || x - y);
  const members: number[][][] = input.cells.map((cells) => cells.map(() => []));
  const size: number[] = [];
  order.forEach((old, a) => {
    size.push(count[old]);
    sigs[old].forEach((cell, r) => cell >= 0 && members[r][cell].push(a));
  });
  const firstSmall = size.findIndex((x) => isPrimary(x));
  return { members, size, firstSmall: firstSmall < 0 ? size.length : firstSmall };
}

const indicator = (atoms: readonly number[]): Map<number, number> => new Map(atoms.map((a) => [a, 1]));

/** Beyond this many independent combinations of small atoms, a release is treated as revealing (conservative). */
const MAX_SMALL_COMBINATIONS = 12;

/**
 * The groups of 1–9 claimants the equations determine: 0/1 combinations of atoms whose total is
 * 1–9 and whose indicator lies in the row space. Such a combination involves small atoms only, so
 * it lies in the span of the basis rows whose pivot is a small atom (small atoms are numbered
 * last); with 0/1 coefficients at those pivots, enumerating the subsets of those rows finds them all.
 */
function revealedGroups(space: RowSpace, atoms: Atoms): { groups: string[]; touching: number[][] } {
  const rows = space.rowsFrom(atoms.firstSmall);
  if (rows.length > MAX_SMALL_COMBINATIONS) return { groups: ['*'], touching: [rows.flatMap((r) => [...r.keys()])] };
  const groups: string[] = [];
  const touching: number[][] = [];
  for (let mask = 1; mask < 1 << rows.length; mask++) {
    const v = new Map<number, number>();
    rows.forEach((row, j) => {
      if (!(mask & (1 << j))) return;
      for (const [k, x] of row) v.set(k, mod((v.get(k) ?? 0) + x));
    });
    let total = 0;
    let binary = true;
    const support: number[] = [];
    for (const [k, x] of v) {
      if (x === 0) continue;
      if (x !== 1) binary = false;
      total += atoms.size[k];
      support.push(k);
    }
    if (binary && isPrimary(total)) {
      support.sort((a, b) => a - b);
      groups.push(support.join(','));
      touching.push(support);
    }
  }
  return { groups, touching };
}

/**
 * Decides which cells of the new tables (the last `fresh` of `cells`) may be published.
 * `initial`: for each new table, the cells its own protection already allows (default: every
 * count but 1–9); the audit only withholds more. `widen`: when a revealed group lies wholly
 * outside the new cells (the new release completes an equation chain through earlier ones),
 * withhold the cheapest new cell and try again instead of withholding the whole release.
 */
export function auditRelease(input: AuditInput, fresh = 1, initial?: ReadonlyArray<ReadonlyArray<boolean>>, widen = false): AuditResult {
  const R = input.cells.length;
  const first = R - fresh;
  const atoms = atomsOf(input);
  const { members } = atoms;
  const isNew = (r: number) => r >= first;
  const published = input.cells.map((cells, r) => cells.map((c, k) => (isNew(r) ? (initial ? initial[r - first][k] && !isPrimary(c.count) : !isPrimary(c.count)) : c.published)));
  const primaryCount = published.slice(first).flat().filter((p) => !p).length;
  // What the history alone reveals (the data changed since) is out already: only what the new tables add is judged.
  const history = new RowSpace();
  for (let r = 0; r < first; r++) input.cells[r].forEach((c, k) => c.published && history.add(indicator(members[r][k])));
  const before = new Set(revealedGroups(history, atoms).groups);
  const newCells = input.cells.flatMap((cells, r) => (isNew(r) ? cells.map((c, k) => ({ r, k, c })) : []));

  for (let round = 0; round <= newCells.length; round++) {
    const space = new RowSpace();
    input.cells.forEach((cells, r) => cells.forEach((_, k) => published[r][k] && space.add(indicator(members[r][k]))));
    const found = revealedGroups(space, atoms);
    const at = found.groups.findIndex((g) => !before.has(g));
    if (at < 0) return { published: published.slice(first), complementary: published.slice(first).flat().filter((p) => !p).length - primaryCount, withheld: false };
    const touching = new Set(found.touching[at]);
    let best: { r: number; k: number; count: number } | undefined;
    for (const { r, k, c } of newCells) {
      if (!published[r][k] || c.count === 0) continue;
      if (!members[r][k].some((a) => touching.has(a))) continue;
      if (!best || c.count < best.count) best = { r, k, count: c.count };
    }
    // `widen`: a group revealed through earlier releases only (no new cell holds any of it) —
    // withhold the cheapest new cell still published and look again, rather than everything.
    if (!best && widen) {
      for (const { r, k, c } of newCells) if (published[r][k] && c.count > 0 && (!best || c.count < best.count)) best = { r, k, count: c.count };
    }
    if (!best) break;
    published[best.r][best.k] = false;
  }
  const none = input.cells.slice(first).map((cells) => cells.map(() => false));
  return { published: none, complementary: none.flat().length - primaryCount, withheld: true };
}
