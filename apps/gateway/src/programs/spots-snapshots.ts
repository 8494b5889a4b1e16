import type { EntityManager } from 'typeorm';
import type { SpotCounter, SpotPopulation } from '@passerelle/policy';
import { SPOT_FIELDS, type EmptySpotsRepository, type FieldProviders } from './empty-spots.repository';

interface Snapshot {
  version: string;
  population: SpotPopulation;
  rowOf: Map<string, number>;
  /** per program: the population with who applied, at an applications version */
  byProgram: Map<string, { version: string; population: SpotPopulation }>;
}

/** Populations kept (one per distinct set of providers per field; ~40 MB each at 10^6 claimants). */
const DEFAULT_CAPACITY = 2;

/** Programs whose applied flags (and remembered counts) a population keeps. */
const PROGRAMS_PER_SNAPSHOT = 3;

/**
 * The empty-spots population kept in memory between counts (issue 17: 10^6 claimants, each count
 * under a second), one per set of providers per field (what the caller's agreements cover, so a
 * caller is never counted on another's data), read again whenever anything it was read from has
 * changed:
 *
 * - the records and periods: `spots_versions`' `population` sum (bumped by statement triggers on
 *   claimant_records and employment_periods, in the writing transaction);
 * - who applied to the program: its `applications` sum (program_stream_applications), re-read
 *   alone (a few thousand rows) over the same claimants.
 *
 * The versions are read first, then the data, in the caller's transaction: data read after a
 * version holds at least what that version counted, so an equal version on a later count means
 * nothing was committed since (a write committed in between makes the snapshot newer than its
 * version, never older, and only costs a reload). Counts equal the list path's:
 * test/programs/spots-snapshot.e2e-spec.ts.
 */
export class SpotsSnapshots {
  private readonly snapshots = new Map<string, Snapshot>();

  constructor(
    private readonly repository: EmptySpotsRepository,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  async population(m: EntityManager, program: string, providers: FieldProviders): Promise<SpotCounter> {
    const versions = await this.repository.versions(m);
    const key = JSON.stringify(SPOT_FIELDS.map((f) => [...(providers[f] ?? [])].sort()));
    let snapshot = this.snapshots.get(key);
    if (snapshot && snapshot.version === versions.population) {
      // Most recently used last.
      this.snapshots.delete(key);
      this.snapshots.set(key, snapshot);
    } else {
      this.snapshots.delete(key);
      const { population, rowOf } = await this.repository.columnar(m, providers);
      snapshot = { version: versions.population, population, rowOf, byProgram: new Map() };
      this.snapshots.set(key, snapshot);
      while (this.snapshots.size > this.capacity) this.snapshots.delete(this.snapshots.keys().next().value!);
    }
    const held = snapshot.byProgram.get(program);
    if (held && held.version === versions.applications) return held.population;
    const applied = new Uint8Array(snapshot.population.size);
    for (const subject of await this.repository.applied(m, program)) {
      const row = snapshot.rowOf.get(subject);
      if (row !== undefined) applied[row] = 1;
    }
    const population = snapshot.population.withApplied(applied);
    snapshot.byProgram.delete(program);
    snapshot.byProgram.set(program, { version: versions.applications, population });
    while (snapshot.byProgram.size > PROGRAMS_PER_SNAPSHOT) snapshot.byProgram.delete(snapshot.byProgram.keys().next().value!);
    return population;
  }

  /** Forgets every population (tests; a registry change needs nothing: the key is the providers). */
  clear(): void {
    this.snapshots.clear();
  }
}
