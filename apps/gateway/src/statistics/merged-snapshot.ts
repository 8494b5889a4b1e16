import type { DataSource } from 'typeorm';
import { MergedPopulation, STAT_DIMENSIONS, type StatDimension } from '@passerelle/policy';
import { ClaimantChanges } from '../claimants/claimant-changes';

/** The column of each dimension in claimant_merged (`<column>1`, `<column>2`). */
export const MERGED_COLUMN: Record<StatDimension, string> = {
  province: 'province',
  claimStatus: 'claim_status',
  nocCode: 'noc_code',
  sector: 'sector',
  frenchBand: 'french_level',
};

/** The value columns in the order MergedPopulation.setFlat takes them. */
const VALUE_COLUMNS = STAT_DIMENSIONS.flatMap((d) => [`${MERGED_COLUMN[d]}1`, `${MERGED_COLUMN[d]}2`]);

const SELECT = `SELECT subject, provider1, provider2, more_providers, ${VALUE_COLUMNS.join(', ')} FROM claimant_merged`;

type MergedRecord = { subject: string; provider1: string; provider2: string | null; more_providers: boolean } & Record<string, string | number | null>;

export interface MergedSnapshotOptions {
  /** rows per statement when everything is read */
  pageSize?: number;
  /** more subjects changed than this share of the population (and than `minChanged`): read everything again */
  maxChangedShare?: number;
  minChanged?: number;
  /** the change log is pruned at most this often (ms) by this copy … */
  pruneEveryMs?: number;
  /** … of the rows older than this (a Postgres interval) */
  retention?: string;
}

/** How the last call found the copy (tests and benches observe it; nothing depends on it). */
export type MergedRefresh = 'held' | 'full' | 'incremental';

/** What a count reads: the copy, brought current, and the subjects with a third provider (counted from claimant_records). */
export interface MergedView {
  population: MergedPopulation;
  moreProviders: string[];
}

/**
 * claimant_merged held in memory (MergedPopulation), so statistics over merged providers are one
 * pass over typed arrays instead of a scan of the table (issue 15). Kept current without reading
 * it all again, as the empty-spots populations are (apps/gateway/src/programs/spots-snapshots.ts):
 * the copy holds the MARK of the claimant change log taken before its data was read; on each
 * count one statement lists the subjects written at or above it and a new mark; only those are
 * read again from claimant_merged (which claimant_records' triggers keep current in the writing
 * transaction, so a subject in the log has its merged row committed with it). Everything is read
 * again when the log was pruned past the mark, a table was truncated, or more than
 * `maxChangedShare` of the subjects changed. One refresh at a time; a failed one drops the copy.
 *
 * Memory: 24 bytes of columns plus the subject as a Map key per claimant (a bare script holding
 * 10^6 of them used 227 MiB of heap in all).
 */
export class MergedStatisticsSnapshot {
  private held?: { mark: string; population: MergedPopulation; moreProviders: Set<string> };
  private queue: Promise<unknown> = Promise.resolve();
  private lastPrune = 0;
  private readonly options: Required<MergedSnapshotOptions>;
  private readonly changes = new ClaimantChanges();
  lastRefresh: MergedRefresh = 'held';

  constructor(
    private readonly dataSource: DataSource,
    options: MergedSnapshotOptions = {},
  ) {
    this.options = { pageSize: 100_000, maxChangedShare: 0.1, minChanged: 1000, pruneEveryMs: 60_000, retention: '1 hour', ...options };
  }

  /** The copy, current as of this call (every write committed before it is in). */
  current(): Promise<MergedView> {
    const run = this.queue.then(() => this.refresh());
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Forgets the copy (tests). */
  clear(): void {
    this.held = undefined;
  }

  private async refresh(): Promise<MergedView> {
    const held = this.held;
    this.held = undefined; // out until current: a failure below drops it, never keeps it half-refreshed
    let next: NonNullable<typeof held>;
    if (!held) next = await this.load();
    else {
      const limit = Math.max(this.options.minChanged, Math.floor(held.population.size * this.options.maxChangedShare));
      const since = await this.changes.since(this.dataSource, held.mark, limit);
      if (since.pruned || since.everyone || since.subjects.length > limit) next = await this.load();
      else if (since.subjects.length === 0) {
        this.lastRefresh = 'held';
        next = { ...held, mark: since.mark };
      } else {
        const rows: MergedRecord[] = await this.dataSource.query(`${SELECT} WHERE subject = ANY($1::text[])`, [since.subjects]);
        const read = new Map(rows.map((r) => [r.subject, r]));
        for (const subject of since.subjects) this.put(held, subject, read.get(subject));
        this.lastRefresh = 'incremental';
        next = { ...held, mark: since.mark };
      }
    }
    this.held = next;
    await this.prune();
    return { population: next.population, moreProviders: [...next.moreProviders] };
  }

  /** Everything, read after the mark, a page at a time in subject order. */
  private async load(): Promise<{ mark: string; population: MergedPopulation; moreProviders: Set<string> }> {
    const mark = await this.changes.mark(this.dataSource);
    const copy = { mark, population: new MergedPopulation(), moreProviders: new Set<string>() };
    let after: string | null = null;
    for (;;) {
      const rows: MergedRecord[] =
        after === null
          ? await this.dataSource.query(`${SELECT} ORDER BY subject LIMIT $1`, [this.options.pageSize])
          : await this.dataSource.query(`${SELECT} WHERE subject > $1 ORDER BY subject LIMIT $2`, [after, this.options.pageSize]);
      for (const r of rows) this.put(copy, r.subject, r);
      if (rows.length < this.options.pageSize) break;
      after = rows[rows.length - 1].subject;
    }
    this.lastRefresh = 'full';
    return copy;
  }

  private put(copy: { population: MergedPopulation; moreProviders: Set<string> }, subject: string, r: MergedRecord | undefined): void {
    if (r && r.more_providers) {
      copy.population.remove(subject);
      copy.moreProviders.add(subject);
      return;
    }
    copy.moreProviders.delete(subject);
    if (!r) copy.population.remove(subject);
    else copy.population.setFlat(subject, r.provider1, r.provider2, VALUE_COLUMNS.map((c) => r[c]));
  }

  private async prune(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < this.options.pruneEveryMs) return;
    this.lastPrune = now;
    await this.changes.prune(this.dataSource, this.options.retention);
  }
}
