import { UNKNOWN_CATEGORY } from '../statistics/statistics';
import { dayOf, evaluateCondition } from './evaluate';
import { EMPTY_SPOT_DIMENSIONS, type CountedClaimant, type EmptySpotDimension, type SpotCellKey, type SpotMeasure, type SpotTable } from './empty-spots';
import type { EmploymentPeriod } from './hours';
import { CONDITION_FIELD, type ClaimantView, type ProgramCondition } from './program.types';

/**
 * The empty-spots population held column by column (issue 17, 10^6 claimants in well under a
 * second per count). It counts EXACTLY as countSpots does over the same claimants in the same
 * order — same cells, in the same first-appearance order, same counts, same membership — and it
 * does so by construction rather than by a second implementation of the rules:
 *
 * - every condition reads one field (CONDITION_FIELD), so its result for a claimant depends on
 *   that field's value only; each field's values are dictionary-encoded, and each condition is
 *   judged by the one evaluator (evaluateCondition) once per distinct value, then looked up per
 *   claimant. `hoursAtLeast` on a claimant with employment periods is judged per claimant (by the
 *   same function), since the periods are that claimant's own;
 * - results combine as combineOutcome does (any NOT_MET: not eligible; all MET: eligible;
 *   otherwise undetermined, the UNKNOWN conditions' fields `+`-joined in condition order).
 *
 * Counts are remembered per (conditions, grouping, day), so the earlier releases an audit
 * recounts cost nothing the second time. Equivalence: spot-population.spec.ts (random
 * populations and rules, against countSpots and releaseSpots over the plain list).
 */
export interface SpotCounter {
  readonly size: number;
  count(conditions: ProgramCondition[], at: Date, groupBy: readonly EmptySpotDimension[]): { notApplied: SpotTable; eligible: SpotTable };
}

/** One claimant as the population builder takes it (a ClaimantView's counted fields, and whether they applied). */
export interface SpotRow {
  province: string | null;
  nocCode: string | null;
  claimStatus: string | null;
  sector: string | null;
  workPermitExpiry: string | null;
  frenchLevel: number | null;
  healthCareHours: { hours: number; periodStart: string; periodEnd: string } | null;
  employment: readonly EmploymentPeriod[] | null;
  applied: boolean;
}

type DictField = 'province' | 'nocCode' | 'claimStatus' | 'sector' | 'workPermitExpiry' | 'frenchLevel' | 'healthCareHours';
const DICT_FIELDS: readonly DictField[] = ['province', 'nocCode', 'claimStatus', 'sector', 'workPermitExpiry', 'frenchLevel', 'healthCareHours'];

const MET = 0;
const NOT_MET = 1;
const UNKNOWN = 2;
const NONE = 255;
const RESULT = { MET, NOT_MET, UNKNOWN } as const;

/** Counts remembered per population (each a pair of Int32Array the size of the population). */
const MAX_MEMO = 4;

/** The dictionary key of a field's value (equal keys: the same value). */
function dictKey(field: DictField, v: unknown): string | number {
  if (field === 'healthCareHours') {
    const h = v as SpotRow['healthCareHours'] & object;
    return `${h.hours}|${h.periodStart}|${h.periodEnd}`;
  }
  return typeof v === 'number' ? v : `${v}`;
}

class Dictionary {
  private readonly ids = new Map<string | number, number>();
  /** @param values the entries to start from (a patched population keeps its codes) */
  constructor(
    private readonly field: DictField,
    readonly values: unknown[] = [],
  ) {
    values.forEach((v, k) => this.ids.set(dictKey(field, v), k));
  }
  /** The code of a value (-1: none), added when new. */
  code(value: unknown): number {
    if (value === null || value === undefined) return -1;
    const key = dictKey(this.field, value);
    let c = this.ids.get(key);
    if (c === undefined) {
      this.ids.set(key, (c = this.values.length));
      this.values.push(value);
    }
    return c;
  }
}

/**
 * A change to a population, in the rows of the population it applies to: rows whose values are
 * replaced, rows removed, rows inserted (each before the row `before` of the population being
 * patched, `size` for the end; several before one row: in the order given). The rows keep their
 * order otherwise.
 */
export interface SpotPatch {
  replace?: ReadonlyMap<number, SpotRow>;
  remove?: readonly number[];
  insert?: ReadonlyArray<{ before: number; row: SpotRow }>;
}

/**
 * The rows of a patched population: for each new row, the old row it keeps (>= 0) or the
 * inserted row it is (-1 - index into `insert`). Applied alike to anything held per row (the
 * gateway's subjects).
 */
export function patchedOrder(size: number, patch: Pick<SpotPatch, 'remove' | 'insert'>): Int32Array {
  const removed = new Uint8Array(size);
  for (const r of patch.remove ?? []) {
    if (!(r >= 0 && r < size) || removed[r]) throw new Error(`cannot remove row ${r} of ${size}`);
    removed[r] = 1;
  }
  const inserts = (patch.insert ?? []).map((x, k) => ({ before: x.before, k }));
  for (const x of inserts) if (!(x.before >= 0 && x.before <= size)) throw new Error(`cannot insert before row ${x.before} of ${size}`);
  inserts.sort((a, b) => a.before - b.before || a.k - b.k);
  const out = new Int32Array(size - (patch.remove?.length ?? 0) + inserts.length);
  let o = 0;
  let j = 0;
  for (let r = 0; r <= size; r++) {
    while (j < inserts.length && inserts[j].before === r) out[o++] = -1 - inserts[j++].k;
    if (r < size && !removed[r]) out[o++] = r;
  }
  return out;
}

export class SpotPopulationBuilder {
  private readonly dicts = Object.fromEntries(DICT_FIELDS.map((f) => [f, new Dictionary(f)])) as Record<DictField, Dictionary>;
  private readonly codes = Object.fromEntries(DICT_FIELDS.map((f) => [f, [] as number[]])) as Record<DictField, number[]>;
  private readonly employment = new Map<number, readonly EmploymentPeriod[]>();
  private readonly applied: number[] = [];

  /** @param withheld the fields the caller's agreements do not cover (the same for every claimant) */
  constructor(private readonly withheld: readonly string[] = []) {}

  add(row: SpotRow): void {
    const i = this.applied.length;
    for (const f of DICT_FIELDS) this.codes[f].push(this.dicts[f].code(row[f]));
    if (row.employment && row.employment.length > 0) this.employment.set(i, row.employment);
    this.applied.push(row.applied ? 1 : 0);
  }

  build(): SpotPopulation {
    return new SpotPopulation(
      this.applied.length,
      Object.fromEntries(DICT_FIELDS.map((f) => [f, { values: this.dicts[f].values, codes: Int32Array.from(this.codes[f]) }])) as unknown as SpotPopulation['columns'],
      this.employment,
      Uint8Array.from(this.applied),
      this.withheld,
    );
  }

  /** The columnar form of a plain population (tests, and callers holding one already). */
  static of(claimants: readonly CountedClaimant[]): SpotPopulation {
    const withheld = claimants.length > 0 && claimants[0].view.withheld ? [...claimants[0].view.withheld] : [];
    const b = new SpotPopulationBuilder(withheld);
    for (const c of claimants) {
      const v = c.view;
      b.add({
        province: v.province ?? null,
        nocCode: v.nocCode ?? null,
        claimStatus: v.claimStatus ?? null,
        sector: v.sector ?? null,
        workPermitExpiry: v.workPermitExpiry ?? null,
        frenchLevel: v.frenchLevel ?? null,
        healthCareHours: v.healthCareHours ?? null,
        employment: v.employment ?? null,
        applied: c.applied,
      });
    }
    return b.build();
  }
}

export class SpotPopulation implements SpotCounter {
  private readonly memo = new Map<string, { notApplied: SpotTable; eligible: SpotTable }>();

  constructor(
    readonly size: number,
    readonly columns: Readonly<Record<DictField, { values: readonly unknown[]; codes: Int32Array }>>,
    private readonly employment: ReadonlyMap<number, readonly EmploymentPeriod[]>,
    private readonly applied: Uint8Array,
    private readonly withheld: readonly string[],
  ) {}

  /**
   * The population with `patch` applied (a new population with its own remembered counts; this
   * one is left as it was). It counts exactly as the population built from scratch from the
   * patched list of rows would (spot-population.spec.ts): cells are numbered by first
   * appearance over the rows, never by dictionary order, so codes kept from this population and
   * values no row uses any more change nothing. Cost: with rows inserted or removed, a pass over
   * every column; otherwise a copy of the columns whose values changed (the others are shared:
   * no population writes its columns after it is built), plus the changed rows.
   */
  patched(patch: SpotPatch): SpotPopulation {
    const inserted = patch.insert ?? [];
    const replace = patch.replace ?? new Map<number, SpotRow>();
    for (const r of replace.keys()) if (!(r >= 0 && r < this.size)) throw new Error(`cannot replace row ${r} of ${this.size}`);
    // Rows kept in place (values replaced only, the usual refresh): columns copied whole.
    const inPlace = (patch.remove?.length ?? 0) === 0 && inserted.length === 0;
    const order = inPlace ? null : patchedOrder(this.size, patch);
    const n = order ? order.length : this.size;
    let newRowOf: Int32Array | null = null;
    if (order) {
      newRowOf = new Int32Array(this.size).fill(-1);
      for (let i = 0; i < n; i++) if (order[i] >= 0) newRowOf[order[i]] = i;
    }
    const moved = (r: number) => (newRowOf ? newRowOf[r] : r);
    /** a column of this population, in the rows of the patched one (inserted rows: 0) */
    const carried = <A extends Int32Array | Uint8Array>(old: A, make: (n: number) => A): A => {
      if (!order) return old.slice() as A;
      const out = make(n);
      for (let i = 0; i < n; i++) if (order[i] >= 0) out[i] = old[order[i]];
      return out;
    };
    // The rows given values by the patch, at their new index.
    const changed: Array<[number, SpotRow]> = [];
    for (const [r, row] of replace) if (moved(r) >= 0) changed.push([moved(r), row]);
    if (order) for (let i = 0; i < n; i++) if (order[i] < 0) changed.push([i, inserted[-1 - order[i]].row]);
    const columns = {} as Record<DictField, { values: readonly unknown[]; codes: Int32Array }>;
    for (const f of DICT_FIELDS) {
      const dict = new Dictionary(f, [...this.columns[f].values]);
      const codes = changed.map(([, row]) => dict.code(row[f]));
      // A column no changed row changes is shared, not copied (columns are never written after build).
      if (!order && codes.every((c, j) => c === this.columns[f].codes[changed[j][0]])) columns[f] = this.columns[f];
      else {
        const out = carried(this.columns[f].codes, (k) => new Int32Array(k));
        changed.forEach(([i], j) => (out[i] = codes[j]));
        columns[f] = { values: dict.values, codes: out };
      }
    }
    let employment: ReadonlyMap<number, readonly EmploymentPeriod[]> = this.employment;
    if (order || changed.some(([i, row]) => this.employment.has(i) || (row.employment?.length ?? 0) > 0)) {
      const e = new Map<number, readonly EmploymentPeriod[]>();
      for (const [r, periods] of this.employment) if (moved(r) >= 0 && !replace.has(r)) e.set(moved(r), periods);
      for (const [i, row] of changed) if (row.employment && row.employment.length > 0) e.set(i, row.employment);
      employment = e;
    }
    let applied = this.applied;
    if (order || changed.some(([i, row]) => this.applied[i] !== (row.applied ? 1 : 0))) {
      applied = carried(this.applied, (k) => new Uint8Array(k));
      for (const [i, row] of changed) applied[i] = row.applied ? 1 : 0;
    }
    return new SpotPopulation(n, columns, employment, applied, this.withheld);
  }

  /** Row `i` as the builder took it (equal rows: equal values, periods and flag). */
  rowAt(i: number): SpotRow {
    if (!(i >= 0 && i < this.size)) throw new Error(`no row ${i} of ${this.size}`);
    const value = (f: DictField) => {
      const c = this.columns[f].codes[i];
      return c < 0 ? null : this.columns[f].values[c];
    };
    return {
      province: value('province') as string | null,
      nocCode: value('nocCode') as string | null,
      claimStatus: value('claimStatus') as string | null,
      sector: value('sector') as string | null,
      workPermitExpiry: value('workPermitExpiry') as string | null,
      frenchLevel: value('frenchLevel') as number | null,
      healthCareHours: value('healthCareHours') as SpotRow['healthCareHours'],
      employment: this.employment.get(i) ?? null,
      applied: this.applied[i] === 1,
    };
  }

  /** The same claimants with `applied` (one flag per claimant, in order) as who applied; its own remembered counts. */
  withApplied(applied: Uint8Array): SpotPopulation {
    if (applied.length !== this.size) throw new Error(`applied has ${applied.length} flags for ${this.size} claimants`);
    return new SpotPopulation(this.size, this.columns, this.employment, applied, this.withheld);
  }

  count(conditions: ProgramCondition[], at: Date, groupBy: readonly EmptySpotDimension[]): { notApplied: SpotTable; eligible: SpotTable } {
    const dims = EMPTY_SPOT_DIMENSIONS.filter((d) => groupBy.includes(d));
    const key = JSON.stringify([conditions, dims, dayOf(at)]);
    const hit = this.memo.get(key);
    if (hit) {
      this.memo.delete(key);
      this.memo.set(key, hit);
      return hit;
    }
    const out = this.compute(conditions, at, dims);
    this.memo.set(key, out);
    if (this.memo.size > MAX_MEMO) this.memo.delete(this.memo.keys().next().value!);
    return out;
  }

  /** The result of `condition` on a view holding only its field (the only one it reads). */
  private judge(condition: ProgramCondition, field: DictField, value: unknown, employment: readonly EmploymentPeriod[] | null, at: Date): number {
    const view: ClaimantView = { [field]: value, withheld: this.withheld };
    if (employment) view.employment = employment;
    return RESULT[evaluateCondition(condition, view, at).result];
  }

  private compute(conditions: ProgramCondition[], at: Date, dims: readonly EmptySpotDimension[]): { notApplied: SpotTable; eligible: SpotTable } {
    const n = this.size;
    const C = conditions.length;
    // Per condition: its result per dictionary entry (index code + 1; 0 is "no value").
    const lookups: Uint8Array[] = [];
    const codes: Int32Array[] = [];
    /** per condition reading periods: the claimant's own result (255: none, use the lookup) */
    const perClaimant: Array<Uint8Array | null> = [];
    conditions.forEach((c) => {
      const field = CONDITION_FIELD[c.kind] as DictField;
      const col = this.columns[field];
      const table = new Uint8Array(col.values.length + 1);
      table[0] = this.judge(c, field, null, null, at);
      col.values.forEach((v, k) => (table[k + 1] = this.judge(c, field, v, null, at)));
      lookups.push(table);
      codes.push(col.codes);
      if (c.kind === 'hoursAtLeast' && this.employment.size > 0) {
        const own = new Uint8Array(this.size).fill(NONE);
        const hours = this.columns.healthCareHours;
        for (const [i, periods] of this.employment) own[i] = this.judge(c, 'healthCareHours', hours.codes[i] < 0 ? null : hours.values[hours.codes[i]], periods, at);
        perClaimant.push(own);
      } else perClaimant.push(null);
    });
    // The group of each claimant, per dimension: the index of its category string.
    const groupOf = dims.map((d) => {
      const field: DictField = d === 'noc' ? 'nocCode' : d;
      const col = this.columns[field];
      const names: string[] = [];
      const index = new Map<string, number>();
      const map = new Int32Array(col.values.length + 1);
      [null, ...col.values].forEach((v, k) => {
        const name = v === null || v === undefined ? UNKNOWN_CATEGORY : (v as string);
        let g = index.get(name);
        if (g === undefined) {
          index.set(name, (g = names.length));
          names.push(name);
        }
        map[k] = g;
      });
      return { dim: d, codes: col.codes, map, names };
    });
    // Undetermined: the fields of the UNKNOWN conditions, in condition order, remembered per set of conditions.
    const fieldSets: string[] = [];
    const fieldSetIndex = new Map<string, number>();
    const fieldSetOf = (unknown: number[]): number => {
      const k = unknown.join(',');
      let f = fieldSetIndex.get(k);
      if (f === undefined) {
        fieldSetIndex.set(k, (f = fieldSets.length));
        fieldSets.push([...new Set(unknown.map((c) => CONDITION_FIELD[conditions[c].kind]))].join('+'));
      }
      return f;
    };
    const notApplied = tableBuilder(n, groupOf, fieldSets, C);
    const eligible = tableBuilder(n, groupOf, fieldSets, C);
    const unknown: number[] = [];
    const groups = new Int32Array(groupOf.length);
    for (let i = 0; i < n; i++) {
      let notMet = false;
      unknown.length = 0;
      for (let c = 0; c < C; c++) {
        const own = perClaimant[c];
        const r = own !== null && own[i] !== NONE ? own[i] : lookups[c][codes[c][i] + 1];
        if (r === NOT_MET) {
          notMet = true;
          break;
        }
        if (r === UNKNOWN) unknown.push(c);
      }
      if (notMet) continue;
      for (let g = 0; g < groupOf.length; g++) groups[g] = groupOf[g].map[groupOf[g].codes[i] + 1];
      if (unknown.length === 0) eligible.put(i, groups, ELIGIBLE, -1);
      if (this.applied[i]) continue;
      if (unknown.length === 0) notApplied.put(i, groups, ELIGIBLE_NOT_APPLIED, -1);
      else notApplied.put(i, groups, UNDETERMINED_NOT_APPLIED, fieldSetOf(unknown));
    }
    return { notApplied: notApplied.done(), eligible: eligible.done() };
  }
}

const MEASURES: readonly SpotMeasure[] = ['ELIGIBLE_NOT_APPLIED', 'UNDETERMINED_NOT_APPLIED', 'ELIGIBLE'];
const [ELIGIBLE_NOT_APPLIED, UNDETERMINED_NOT_APPLIED, ELIGIBLE] = [0, 1, 2];
/** Key spaces up to this size are indexed directly (an Int32Array of this many entries at most). */
const DIRECT_INDEX_LIMIT = 1 << 22;

/** Cells numbered in order of first appearance, as countSpots numbers them. */
function tableBuilder(n: number, groupOf: ReadonlyArray<{ dim: EmptySpotDimension; names: string[] }>, fieldSets: string[], conditions: number) {
  // A cell's key as one number when the radices allow it (fast), else as text.
  const radix = 3 * (2 ** Math.min(conditions, 30) + 1);
  const span = groupOf.reduce((s, g) => s * g.names.length, radix);
  const numeric = conditions <= 30 && span < Number.MAX_SAFE_INTEGER;
  const ids = new Map<number | string, number>();
  // Small key spaces: the cell of a key by direct index (-1: none yet), not through the map.
  const direct = numeric && span <= DIRECT_INDEX_LIMIT ? new Int32Array(span).fill(-1) : null;
  const cells: SpotCellKey[] = [];
  const counts: number[] = [];
  const membership = new Int32Array(n).fill(-1);
  return {
    put(i: number, groups: Int32Array, measure: number, fieldSet: number) {
      let id: number | string;
      if (numeric) {
        id = (fieldSet + 1) * 3 + measure;
        let r = radix;
        for (let g = 0; g < groups.length; g++) {
          id += groups[g] * r;
          r *= groupOf[g].names.length;
        }
      } else id = `${measure}|${fieldSet}|${groups.join('|')}`;
      let k = direct !== null ? direct[id as number] : ids.get(id);
      if (k === undefined || k < 0) {
        k = cells.length;
        if (direct !== null) direct[id as number] = k;
        else ids.set(id, k);
        const name = (d: EmptySpotDimension) => {
          const g = groupOf.findIndex((x) => x.dim === d);
          return g < 0 ? null : groupOf[g].names[groups[g]];
        };
        cells.push({ province: name('province'), noc: name('noc'), claimStatus: name('claimStatus'), measure: MEASURES[measure], field: fieldSet < 0 ? null : fieldSets[fieldSet] });
        counts.push(0);
      }
      counts[k]++;
      membership[i] = k;
    },
    done(): SpotTable {
      return { cells, counts, membership };
    },
  };
}
