import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { FILTER_DIMENSIONS, FILTER_VALUES, protectedOneWay, protectedSlice, STAT_DIMENSIONS, type GroupCount, type StatDimension } from '@passerelle/policy';
import { createDataSource } from '@passerelle/persistence';
import { createTestDatabase, eventually, olderTransactionsEnded, queryAsOwner, seededRandom, type SeededRandom, type TestDatabase } from '@passerelle/testing';
import { ClaimantsRepository } from '../../apps/gateway/src/claimants/claimants.repository';
import type { ClaimantValues } from '../../apps/gateway/src/claimants/claimant-fields';
import { StatisticsRepository, type DimensionProviders } from '../../apps/gateway/src/statistics/statistics.repository';

/**
 * Statistics from claimant_merged (kept current by claimant_records' triggers) give exactly the
 * answers of the merge over claimant_records that statistics used before (issue 15): the same
 * counts, hence the same protected cells, totals and suppression, for every groupBy, every
 * filter dimension and random allowed providers per dimension, over random data sets written
 * through the gateway's own submission statement (as its database login), with ties of
 * supplied_at, nulls, three and four providers per subject, updates and deletions.
 */

/** Today's SQL (before claimant_merged), verbatim: the reference. */
const COLUMN: Record<StatDimension, string> = { province: 'province', claimStatus: 'claim_status', nocCode: 'noc_code', sector: 'sector', frenchBand: 'french_level' };
function category(dimension: StatDimension, column: string): string {
  if (dimension === 'frenchBand') {
    return `CASE WHEN ${column} IS NULL THEN 'UNKNOWN' WHEN ${column} <= 4 THEN 'BASIC' WHEN ${column} <= 6 THEN 'INTERMEDIATE' ELSE 'ADVANCED' END`;
  }
  return `coalesce(${column}::text, 'UNKNOWN')`;
}
async function referenceCounts(ds: DataSource, groupBy: StatDimension, by: StatDimension | null, providers: DimensionProviders): Promise<GroupCount[]> {
  const dims: Array<[StatDimension, readonly string[]]> = [[groupBy, providers.groupBy]];
  if (by) dims.push([by, providers.by ?? []]);
  const population = [...new Set(dims.flatMap(([, p]) => p))].sort();
  if (population.length === 0) return [];
  let sql: string;
  const params: unknown[] = [population];
  if (population.length === 1 && dims.every(([, p]) => p.length === 1)) {
    const select = dims.map(([d], i) => `${category(d, COLUMN[d])} AS ${i === 0 ? 'g' : 'f'}`).join(', ');
    sql = `SELECT ${select}, count(*)::int AS n FROM claimant_records WHERE provider = ANY($1::text[]) GROUP BY ${dims.map((_, i) => i + 1).join(', ')}`;
  } else {
    const merged = dims
      .map(([d, allowed], i) => {
        params.push(allowed);
        return `(array_agg(${COLUMN[d]} ORDER BY supplied_at DESC, provider) FILTER (WHERE ${COLUMN[d]} IS NOT NULL AND provider = ANY($${params.length}::text[])))[1] AS d${i}`;
      })
      .join(', ');
    const select = dims.map(([d], i) => `${category(d, `d${i}`)} AS ${i === 0 ? 'g' : 'f'}`).join(', ');
    sql = `WITH merged AS (SELECT subject, ${merged} FROM claimant_records WHERE provider = ANY($1::text[]) GROUP BY subject)
           SELECT ${select}, count(*)::int AS n FROM merged GROUP BY ${dims.map((_, i) => i + 1).join(', ')}`;
  }
  const rows: Array<{ g: string; f?: string; n: number }> = await ds.query(sql, params);
  return rows.map((r) => (by ? { g: r.g, f: r.f, n: r.n } : { g: r.g, n: r.n }));
}

const sorted = (counts: GroupCount[]) => [...counts].sort((a, b) => `${a.g}|${a.f}`.localeCompare(`${b.g}|${b.f}`));

const PROVIDERS = ['ca.ircc', 'on.mcys', 'qc.mifi', 'qc.msss'];
// Each data set its own subjects: deleted records leave their (append-only) history behind.
const subjectOf = (set: number, i: number) => `i_${`${set}-${i}`.padStart(22, 'x')}`;

function randomValues(r: SeededRandom): ClaimantValues {
  const maybe = <T>(v: T) => (r.next() < 0.3 ? undefined : v);
  return {
    // few values, so that cells of every size, small ones included, occur
    province: maybe(r.pick(['QC', 'ON', 'PE', 'NB'] as const)),
    claimStatus: maybe(r.pick(['PENDING', 'ACCEPTED', 'REJECTED'] as const)),
    nocCode: maybe(r.pick(['31301', '33102', '65200', '44101', '14200'])),
    sector: maybe(r.pick(['HEALTH_CARE', 'RETAIL', 'OTHER', 'CONSTRUCTION'] as const)),
    frenchLevel: maybe(1 + r.int(12)),
  };
}

describe('statistics from claimant_merged are those of the merge over claimant_records', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let stats: StatisticsRepository;
  let claimants: ClaimantsRepository;

  beforeAll(async () => {
    db = await createTestDatabase('statsmerge');
    ds = await createDataSource({ url: db.logins.gateway, poolSize: 3, applicationName: 'stats-merge' }).initialize();
    stats = new StatisticsRepository(ds);
    claimants = new ClaimantsRepository(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  /** What the triggers keep, recomputed from scratch, and the table as kept. */
  async function mergedDrift(): Promise<number> {
    const [{ n }] = await queryAsOwner<{ n: number }>(
      db.url,
      `WITH fresh AS (
         SELECT subject, (array_agg(provider ORDER BY supplied_at DESC, provider))[1] AS p1, (array_agg(provider ORDER BY supplied_at DESC, provider))[2] AS p2,
                count(*) > 2 AS more, (array_agg(province ORDER BY supplied_at DESC, provider))[1] AS pr1, (array_agg(french_level ORDER BY supplied_at DESC, provider))[2] AS fr2
           FROM claimant_records GROUP BY subject)
       SELECT count(*)::int AS n FROM fresh FULL JOIN claimant_merged m USING (subject)
        WHERE (fresh.p1, fresh.p2, fresh.more, fresh.pr1, fresh.fr2) IS DISTINCT FROM (m.provider1, m.provider2, m.more_providers, m.province1, m.french_level2)`,
    );
    return n;
  }

  async function fill(seed: number) {
    const r = seededRandom(seed);
    await queryAsOwner(db.url, 'DELETE FROM claimant_records');
    expect((await queryAsOwner<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM claimant_merged'))[0].n).toBe(0);
    // Round 1: one submission per provider through the gateway's statement (each its own now()).
    const n = 400;
    const holders = Array.from({ length: n }, () => {
      const k = r.next() < 0.4 ? 1 : r.next() < 0.75 ? 2 : 3 + r.int(2);
      return [...PROVIDERS].sort(() => r.next() - 0.5).slice(0, k);
    });
    for (const provider of PROVIDERS) {
      const records = holders.flatMap((h, i) => (h.includes(provider) ? [{ subject: subjectOf(seed, i), values: randomValues(r) }] : []));
      await claimants.store(provider, 'k1', `jti-${seed}-${provider}`, records);
    }
    // Ties of supplied_at across providers (provider id order decides), set as the owner.
    await queryAsOwner(db.url, `UPDATE claimant_records SET supplied_at = timestamptz '2026-01-01' + (hashtext(subject || $1) % 3) * interval '1 day'`, [String(seed)]);
    // Round 2: resubmissions (changed values move a provider first) and new records.
    for (const provider of r.nonEmptySubset(PROVIDERS)) {
      const records = Array.from({ length: 60 }, () => ({ subject: subjectOf(seed, r.int(n + 40)), values: randomValues(r) }));
      const unique = [...new Map(records.map((x) => [x.subject, x])).values()];
      await claimants.store(provider, 'k1', `jti-${seed}-${provider}-2`, unique);
    }
    // Round 3: some records removed (no app login may delete them; the owner can).
    await queryAsOwner(db.url, `DELETE FROM claimant_records WHERE hashtext(subject || provider || $1) % 9 = 0`, [String(seed)]);
    expect(await mergedDrift()).toBe(0);
  }

  it.each([1, 2, 3])('gives the same counts and protected answers for every query shape (data set %i)', async (seed) => {
    await fill(seed);
    const r = seededRandom(seed * 7919);
    const [{ more }] = await queryAsOwner<{ more: number }>(db.url, 'SELECT count(*)::int AS more FROM claimant_merged WHERE more_providers');
    expect(more).toBeGreaterThan(0); // the path over claimant_records is exercised too
    let compared = 0;
    for (const groupBy of STAT_DIMENSIONS) {
      const filters = [null, ...FILTER_DIMENSIONS.filter((d) => d !== groupBy).map((d) => ({ dimension: d, value: r.pick(FILTER_VALUES[d].filter((v) => ['QC', 'ON', 'PE', 'PENDING', 'ACCEPTED', 'HEALTH_CARE', 'RETAIL'].includes(v))) }))];
      for (const filter of filters) {
        const choices: DimensionProviders[] = [
          { groupBy: PROVIDERS, by: filter ? PROVIDERS : undefined },
          { groupBy: ['qc.msss'], by: filter ? ['qc.msss'] : undefined },
          ...Array.from({ length: 4 }, () => ({ groupBy: r.nonEmptySubset(PROVIDERS).sort(), by: filter ? r.nonEmptySubset(PROVIDERS).sort() : undefined })),
        ];
        for (const providers of choices) {
          const by = filter ? filter.dimension : null;
          const expected = await referenceCounts(ds, groupBy, by, providers);
          const actual = await stats.counts(groupBy, by, providers);
          const what = `${groupBy} ${JSON.stringify(filter)} ${JSON.stringify(providers)}`;
          expect({ what, counts: sorted(actual) }).toEqual({ what, counts: sorted(expected) });
          const protect = (c: GroupCount[]) => (filter ? protectedSlice(groupBy, filter, c) : protectedOneWay(c));
          expect({ what, answer: protect(actual) }).toEqual({ what, answer: protect(expected) });
          compared++;
        }
      }
    }
    // every groupBy × (no filter + each filter dimension but itself) × 6 provider choices
    expect(compared).toBe((3 * 3 + 2 * 4) * 6);
  });

  it('counts a subject once with both records when two providers submit about it concurrently', async () => {
    await queryAsOwner(db.url, 'DELETE FROM claimant_records');
    const subject = subjectOf(0, 9999);
    await claimants.store('qc.msss', 'k1', 'jti-c0', [{ subject, values: { province: 'QC', frenchLevel: 3 } }]);
    const first = new Client({ connectionString: db.logins.gateway, application_name: 'merge-first' });
    const second = new Client({ connectionString: db.logins.gateway, application_name: 'merge-second' });
    await first.connect();
    await second.connect();
    try {
      // The first changes msss's record; the second, meanwhile, adds mifi's: the second's
      // recount must wait for the first's commit and see its new values.
      await first.query('BEGIN');
      await first.query(`UPDATE claimant_records SET french_level = 9, supplied_at = now() - interval '1 hour' WHERE subject = $1`, [subject]);
      await second.query('BEGIN');
      const pending = second.query(
        `INSERT INTO claimant_records (subject, provider, sector, version, supplied_at, supplied_by_kid) VALUES ($1, 'qc.mifi', 'RETAIL', 1, now() - interval '2 hours', 'k1')`,
        [subject],
      );
      await eventually(
        async () => (await queryAsOwner<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'merge-second' AND wait_event_type = 'Lock'`))[0].n === 1,
        10_000,
        () => 'the second submission never waited for the first',
      );
      await first.query('COMMIT');
      await pending;
      await second.query('COMMIT');
    } finally {
      await first.end();
      await second.end();
    }
    const [row] = await queryAsOwner<Record<string, unknown>>(db.url, 'SELECT provider1, provider2, french_level1, sector2 FROM claimant_merged WHERE subject = $1', [subject]);
    expect(row).toEqual({ provider1: 'qc.msss', provider2: 'qc.mifi', french_level1: 9, sector2: 'RETAIL' });
    const counts = await stats.counts('frenchBand', 'sector', { groupBy: ['qc.mifi', 'qc.msss'], by: ['qc.mifi', 'qc.msss'] });
    expect(counts).toEqual([{ g: 'ADVANCED', f: 'RETAIL', n: 1 }]);
  });

  describe('the in-memory copy of claimant_merged (MergedStatisticsSnapshot) stays current', () => {
    const ALL: DimensionProviders = { groupBy: PROVIDERS, by: PROVIDERS };
    const same = async (what: string) => {
      const expected = await referenceCounts(ds, 'province', 'sector', ALL);
      expect({ what, counts: sorted(await stats.counts('province', 'sector', ALL)) }).toEqual({ what, counts: sorted(expected) });
    };

    beforeAll(async () => {
      await fill(4);
      stats = new StatisticsRepository(ds);
      await same('first count');
      expect(stats.snapshot.lastRefresh).toBe('full');
    });

    it('re-reads only the subjects a submission changed, and sees the submission at the very next count', async () => {
      // A transaction open anywhere in the cluster keeps the copy's mark below the fill's writes
      // (olderTransactionsEnded): once they ended, one count moves the mark past them all.
      await olderTransactionsEnded(db.url);
      await same('the older transactions ended');
      await same('nothing written');
      expect(stats.snapshot.lastRefresh).toBe('held');
      await claimants.store('on.mcys', 'k1', 'jti-fresh-1', [{ subject: subjectOf(4, 1), values: { province: 'NB', sector: 'RETAIL' } }, { subject: subjectOf(4, 900), values: { province: 'PE' } }]);
      await same('after a submission');
      expect(stats.snapshot.lastRefresh).toBe('incremental');
      await queryAsOwner(db.url, 'DELETE FROM claimant_records WHERE subject = $1', [subjectOf(4, 900)]);
      await same('after a removal');
      expect(stats.snapshot.lastRefresh).toBe('incremental');
    });

    it('catches a transaction that commits after a later one (out of order) at the count after its commit', async () => {
      const slow = new Client({ connectionString: db.logins.gateway });
      await slow.connect();
      try {
        await slow.query('BEGIN');
        await slow.query(`INSERT INTO claimant_records (subject, provider, province, sector, version, supplied_at, supplied_by_kid) VALUES ($1, 'qc.mifi', 'QC', 'SECURITY', 1, now(), 'k1')`, [subjectOf(4, 901)]);
        await claimants.store('ca.ircc', 'k1', 'jti-fresh-2', [{ subject: subjectOf(4, 902), values: { province: 'ON', sector: 'SECURITY' } }]);
        await same('the later transaction committed, the earlier still running');
        await slow.query('COMMIT');
        await same('the earlier transaction committed too');
        const counts = await stats.counts('province', 'sector', ALL);
        expect(counts.filter((c) => c.f === 'SECURITY').reduce((n, c) => n + c.n, 0)).toBeGreaterThanOrEqual(2);
      } finally {
        await slow.end();
      }
    });

    it('reads everything again when the change log was pruned past its mark or a table was truncated', async () => {
      await same('before');
      await queryAsOwner(db.url, `UPDATE spots_changes_pruned SET through = pg_current_xact_id()`);
      await claimants.store('qc.msss', 'k1', 'jti-fresh-3', [{ subject: subjectOf(4, 903), values: { province: 'QC', sector: 'HEALTH_CARE' } }]);
      await same('after pruning');
      expect(stats.snapshot.lastRefresh).toBe('full');
      await queryAsOwner(db.url, 'TRUNCATE claimant_records CASCADE');
      await same('after a truncation');
      expect(stats.snapshot.lastRefresh).toBe('full');
      expect(await stats.counts('province', null, { groupBy: PROVIDERS })).toEqual([]);
    });

    it('answers concurrent counts alike, one refresh at a time', async () => {
      await claimants.store('qc.mifi', 'k1', 'jti-fresh-4', [{ subject: subjectOf(4, 904), values: { province: 'NB', sector: 'OTHER' } }]);
      const answers = await Promise.all(Array.from({ length: 5 }, () => stats.counts('province', 'sector', ALL)));
      for (const a of answers) expect(sorted(a)).toEqual(sorted(await referenceCounts(ds, 'province', 'sector', ALL)));
    });
  });
});
