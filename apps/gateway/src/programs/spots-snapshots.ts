import type { EntityManager } from 'typeorm';
import { patchedOrder, type SpotCounter, type SpotPopulation, type SpotRow } from '@passerelle/policy';
import { SPOT_FIELDS, type EmptySpotsRepository, type FieldProviders } from './empty-spots.repository';

interface Snapshot {
  /** the oldest transaction running when its data was read (migration 1795571000000): every write it may lack is at or above */
  mark: string;
  population: SpotPopulation;
  /** the subject of each row, in the database's order of subjects (the order the population was read in) */
  subjects: string[];
  rowOf: Map<string, number>;
  /** per program: the population with who applied, at an applications version */
  byProgram: Map<string, { version: string; population: SpotPopulation }>;
}

export interface SpotsSnapshotsOptions {
  /** populations kept (one per distinct set of providers per field; ~40 MB each at 10^6 claimants) */
  capacity?: number;
  /** more subjects changed than this share of the population (and than `minChanged`): read everything again */
  maxChangedShare?: number;
  minChanged?: number;
  /** the change log is pruned at most this often (ms) by this process … */
  pruneEveryMs?: number;
  /** … of the rows older than this (a Postgres interval); a snapshot older than what was pruned reads everything again */
  retention?: string;
}

/** How the last call found its population (tests and benches observe it; nothing depends on it). */
export type SnapshotRefresh = 'held' | 'full' | 'incremental';

/** Programs whose applied flags (and remembered counts) a population keeps. */
const PROGRAMS_PER_SNAPSHOT = 3;

/**
 * The empty-spots population kept in memory between counts (issue 17: 10^6 claimants, each count
 * under a second), one per set of providers per field (what the caller's agreements cover, so a
 * caller is never counted on another's data), kept current without reading it all again:
 *
 * - the records and periods: each snapshot holds a MARK, the oldest transaction running before
 *   its data was read. The triggers of claimant_records and employment_periods append the
 *   subjects each transaction writes to `spots_changes` with its transaction id; every write the
 *   snapshot may lack is by a transaction at or above its mark (an older one had finished before
 *   the read, so it was read), whenever it commits. On each count, one statement reads the
 *   subjects written at or above the mark and a new mark; only those subjects are read again
 *   (same SQL and providers as the full read, restricted to them) and patched into the columns
 *   (replaced, inserted at their place in the database's order, removed); the new mark is the
 *   one read with them. Transactions that commit out of order are caught by construction: one
 *   still running keeps the mark at or below its id until it ends. Re-reading a subject already
 *   current costs a little and changes nothing (an identical row keeps the same population).
 *   Everything is read again when the log was pruned past the mark, a table was truncated, or
 *   more than `maxChangedShare` of the population changed.
 * - who applied to the program: its `applications` counter (program_stream_applications),
 *   re-read alone (a few thousand rows) over the same claimants.
 *
 * Counts equal the list path's and a full read's: test/programs/spots-snapshot.e2e-spec.ts.
 */
export class SpotsSnapshots {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly options: Required<SpotsSnapshotsOptions>;
  private lastPrune = 0;
  /** how the last call found its population */
  lastRefresh: SnapshotRefresh = 'held';

  constructor(
    private readonly repository: EmptySpotsRepository,
    options: SpotsSnapshotsOptions = {},
  ) {
    this.options = { capacity: 2, maxChangedShare: 0.1, minChanged: 1000, pruneEveryMs: 60_000, retention: '1 hour', ...options };
  }

  async population(m: EntityManager, program: string, providers: FieldProviders): Promise<SpotCounter> {
    const key = JSON.stringify(SPOT_FIELDS.map((f) => [...(providers[f] ?? [])].sort()));
    let snapshot = this.snapshots.get(key);
    // Out of the cache until current: a failure below drops it (read whole next time), never keeps it half-refreshed.
    this.snapshots.delete(key);
    let applications: string;
    if (!snapshot) ({ snapshot, applications } = await this.load(m, providers));
    else {
      const limit = Math.max(this.options.minChanged, Math.floor(snapshot.population.size * this.options.maxChangedShare));
      const since = await this.repository.changesSince(m, snapshot.mark, limit);
      applications = since.applications;
      if (since.pruned || since.everyone || since.subjects.length > limit) ({ snapshot, applications } = await this.load(m, providers));
      else if (since.subjects.length > 0) snapshot = await this.refresh(m, providers, snapshot, since.subjects, since.mark);
      else {
        this.lastRefresh = 'held';
        snapshot = { ...snapshot, mark: since.mark };
      }
    }
    // Most recently used last.
    this.snapshots.set(key, snapshot);
    while (this.snapshots.size > this.options.capacity) this.snapshots.delete(this.snapshots.keys().next().value!);
    await this.prune(m);
    const held = snapshot.byProgram.get(program);
    if (held && held.version === applications) return held.population;
    const applied = new Uint8Array(snapshot.population.size);
    for (const subject of await this.repository.applied(m, program)) {
      const row = snapshot.rowOf.get(subject);
      if (row !== undefined) applied[row] = 1;
    }
    const population = snapshot.population.withApplied(applied);
    snapshot.byProgram.delete(program);
    snapshot.byProgram.set(program, { version: applications, population });
    while (snapshot.byProgram.size > PROGRAMS_PER_SNAPSHOT) snapshot.byProgram.delete(snapshot.byProgram.keys().next().value!);
    return population;
  }

  /** Forgets every population (tests; a registry change needs nothing: the key is the providers). */
  clear(): void {
    this.snapshots.clear();
  }

  /** Everything, read after the mark. */
  private async load(m: EntityManager, providers: FieldProviders): Promise<{ snapshot: Snapshot; applications: string }> {
    const { mark, applications } = await this.repository.mark(m);
    const { population, subjects } = await this.repository.columnar(m, providers);
    this.lastRefresh = 'full';
    return { snapshot: { mark, population, subjects, rowOf: indexOf(subjects), byProgram: new Map() }, applications };
  }

  /** Only `changed` subjects read again (after `mark` was taken) and patched in. */
  private async refresh(m: EntityManager, providers: FieldProviders, snapshot: Snapshot, changed: readonly string[], mark: string): Promise<Snapshot> {
    this.lastRefresh = 'incremental';
    const rows = await this.repository.rows(m, providers, changed);
    const read = new Map(rows.map((r) => [r.subject, r.row]));
    const replace = new Map<number, SpotRow>();
    const remove: number[] = [];
    for (const subject of changed) {
      const r = snapshot.rowOf.get(subject);
      if (r === undefined) continue;
      const row = read.get(subject);
      if (!row) remove.push(r);
      else if (!sameRow(snapshot.population.rowAt(r), row)) replace.set(r, row);
    }
    // New subjects (in the database's order, as read), each before the first held subject it sorts before.
    const fresh = rows.filter((r) => !snapshot.rowOf.has(r.subject));
    const before = await this.positions(m, snapshot.subjects, fresh.map((r) => r.subject));
    if (replace.size === 0 && remove.length === 0 && fresh.length === 0) return { ...snapshot, mark };
    const insert = fresh.map((r, k) => ({ before: before[k], row: r.row }));
    const population = snapshot.population.patched({ replace, remove, insert });
    let { subjects, rowOf } = snapshot;
    if (remove.length > 0 || insert.length > 0) {
      const order = patchedOrder(subjects.length, { remove, insert });
      const old = subjects;
      subjects = Array.from(order, (o) => (o >= 0 ? old[o] : fresh[-1 - o].subject));
      rowOf = indexOf(subjects);
    }
    return { mark, population, subjects, rowOf, byProgram: new Map() };
  }

  /**
   * For each new subject, how many held subjects sort before it in the DATABASE's order (its
   * collation, which JavaScript's string order need not follow): a binary search per subject, all
   * of them a step at a time, each step one query comparing the pairs.
   */
  private async positions(m: EntityManager, held: readonly string[], fresh: readonly string[]): Promise<number[]> {
    const lo = fresh.map(() => 0);
    const hi = fresh.map(() => held.length);
    for (;;) {
      const open = fresh.map((_, k) => k).filter((k) => lo[k] < hi[k]);
      if (open.length === 0) return lo;
      const mid = open.map((k) => (lo[k] + hi[k]) >> 1);
      const below = await this.repository.precedes(
        m,
        open.map((k) => fresh[k]),
        mid.map((i) => held[i]),
      );
      open.forEach((k, j) => {
        if (below[j]) hi[k] = mid[j];
        else lo[k] = mid[j] + 1;
      });
    }
  }

  /** Rows of the change log older than the retention, at most once per `pruneEveryMs`. */
  private async prune(m: EntityManager): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < this.options.pruneEveryMs) return;
    this.lastPrune = now;
    await this.repository.pruneChanges(m, this.options.retention);
  }
}

const indexOf = (subjects: readonly string[]): Map<string, number> => new Map(subjects.map((s, i) => [s, i]));

const sameRow = (a: SpotRow, b: SpotRow): boolean => JSON.stringify(a) === JSON.stringify(b);
