import { createHash } from 'node:crypto';
import { FILTER_VALUES, protectedOneWay, protectedSlice, PROVINCE_CODES, type GroupCount } from '@passerelle/policy';
import { createTestDatabase, determinedUnknowns, queryAsOwner, type TestDatabase } from '@passerelle/testing';
import type { DataSource } from 'typeorm';
// Deep imports: the package index also exports the Nest module, which jest cannot load (ESM).
import { createDataSource } from '../../libs/persistence/src/data-source';
import { runMigrations } from '../../libs/persistence/src/migrate';
import { StatisticsRepository } from '../../apps/gateway/src/statistics/statistics.repository';

/**
 * A differencing attack on the real database: the attacker asks EVERY query the API allows
 * about occupations and provinces, writes down every published number, and solves the linear
 * system they form for the one small cell (3 patient care aides in Prince Edward Island).
 */
const subject = (n: string) => `i_${createHash('sha256').update(n).digest().subarray(0, 16).toString('base64url')}`;

// nocCode × province, as stored (msss only), plus 5 claimants with no province on file.
const POPULATION: Array<[noc: string, province: string | null, n: number]> = [
  ['33102', 'QC', 120],
  ['33102', 'ON', 45],
  ['33102', 'PE', 3], // the target
  ['64410', 'QC', 60],
  ['64410', 'ON', 30],
  ['64410', 'PE', 14],
  ['65201', 'QC', 70],
  ['65201', 'ON', 22],
  ['65201', 'PE', 11],
  ['13110', 'QC', 40],
  ['13110', null, 5],
];

/** Is unknown `target` uniquely determined by equations `eqs` (rows over the unknowns, RHS known)? */
const determined = (eqs: number[][], target: number): boolean => determinedUnknowns(eqs).includes(target);

describe('statistics resist differencing (real Postgres)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let repo: StatisticsRepository;

  beforeAll(async () => {
    db = await createTestDatabase('statdiff');
    await runMigrations(db.url);
    const values: string[] = [];
    const params: unknown[] = [];
    let k = 0;
    for (const [noc, province, n] of POPULATION) {
      for (let i = 0; i < n; i++) {
        params.push(subject(`${noc}-${province}-${i}`), noc, province);
        values.push(`($${params.length - 2}, 'qc.msss', $${params.length - 1}, $${params.length}, 'PENDING', 'HEALTH_CARE', 1, now(), 'k')`);
        k++;
      }
    }
    await queryAsOwner(db.url, `INSERT INTO claimant_records (subject, provider, noc_code, province, claim_status, sector, version, supplied_at, supplied_by_kid) VALUES ${values.join(', ')}`, params);
    // ircc holds a province for some of the same people: they must still count once.
    await queryAsOwner(
      db.url,
      `INSERT INTO claimant_records (subject, provider, province, version, supplied_at, supplied_by_kid) SELECT subject, 'ca.ircc', 'QC', 1, now() - interval '1 day', 'k' FROM claimant_records WHERE noc_code = '13110'`,
    );
    expect(k).toBe(420);
    ds = await createDataSource({ url: db.logins.gateway, poolSize: 4, applicationName: 'statistics-test' }).initialize();
    repo = new StatisticsRepository(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('counts each claimant once, merging fields across providers (newest non-null value wins)', async () => {
    const one = protectedOneWay(await repo.counts('province', null, { groupBy: ['ca.ircc', 'qc.msss'] }));
    // the 5 without a province at msss get ircc's (older) QC; the 40 keep msss's (newer) QC
    expect(one.cells).toEqual([
      { key: 'ON', count: 97, suppressed: false },
      { key: 'PE', count: 28, suppressed: false },
      { key: 'QC', count: 295, suppressed: false },
    ]);
    expect(one.total).toBe(420);
    const msssOnly = protectedOneWay(await repo.counts('province', null, { groupBy: ['qc.msss'] }));
    expect(msssOnly.cells.find((c) => c.key === 'UNKNOWN')).toEqual({ key: 'UNKNOWN', count: null, suppressed: true });
    expect(msssOnly.suppressedCells).toBeGreaterThanOrEqual(2);
    expect(msssOnly.total).toBeNull();
  });

  it('publishes nothing from which the 3 in PE can be solved, whatever the attacker combines', async () => {
    const providers = { groupBy: ['qc.msss'], by: ['qc.msss'] };
    const pair = await repo.counts('nocCode', 'province', providers);
    const nocs = [...new Set(pair.map((c) => c.g))].sort();
    const provinces = [...new Set(pair.map((c) => c.f!))].sort();
    // Unknowns: every interior cell, every row and column margin, the grand total.
    const names = [...nocs.flatMap((n) => provinces.map((p) => `${n}|${p}`)), ...nocs.map((n) => `${n}|*`), ...provinces.map((p) => `*|${p}`), '*|*'];
    const idx = new Map(names.map((n, i) => [n, i]));
    const eqs: number[][] = [];
    const equation = (plus: string[], minus: string[]) => {
      const row = new Array(names.length).fill(0);
      for (const p of plus) row[idx.get(p)!] += 1;
      for (const m of minus) row[idx.get(m)!] -= 1;
      eqs.push(row);
    };
    // Structure the attacker knows: additivity.
    for (const n of nocs) equation(provinces.map((p) => `${n}|${p}`), [`${n}|*`]);
    for (const p of provinces) equation(nocs.map((n) => `${n}|${p}`), [`*|${p}`]);
    equation(nocs.map((n) => `${n}|*`), ['*|*']);
    // Every published number is a known value: an equation fixing its unknown.
    const publish = (name: string, count: number | null) => {
      if (count !== null) equation([name], []);
    };
    const byNoc = protectedOneWay(pair.map(({ g, n }) => ({ g, n })));
    for (const c of byNoc.cells) publish(`${c.key}|*`, c.count);
    if (byNoc.total !== null) publish('*|*', byNoc.total);
    const byProvince = protectedOneWay(await repo.counts('province', null, { groupBy: providers.groupBy }));
    for (const c of byProvince.cells) publish(`*|${c.key}`, c.count);
    if (byProvince.total !== null) publish('*|*', byProvince.total);
    let suppressedSeen = 0;
    for (const p of FILTER_VALUES.province) {
      const slice = protectedSlice('nocCode', { dimension: 'province', value: p }, pair);
      for (const c of slice.cells) if (idx.has(`${c.key}|${p}`)) publish(`${c.key}|${p}`, c.count);
      if (slice.total !== null && idx.has(`*|${p}`)) publish(`*|${p}`, slice.total);
      suppressedSeen += slice.suppressedCells;
    }
    expect(PROVINCE_CODES).toContain('PE');
    // The target is suppressed where it is asked for directly...
    const pe = protectedSlice('nocCode', { dimension: 'province', value: 'PE' }, pair);
    expect(pe.cells.find((c) => c.key === '33102')).toEqual({ key: '33102', count: null, suppressed: true });
    expect(pe.total).toBeNull();
    expect(suppressedSeen).toBeGreaterThanOrEqual(4);
    // ...and cannot be solved from all of the above together.
    expect(determined(eqs, idx.get('33102|PE')!)).toBe(false);
    // Control: the solver does find a cell that is derivable (a published one).
    expect(determined(eqs, idx.get('33102|QC')!)).toBe(true);
    // Control: without complementary suppression the naive route would have worked.
    const naive = (await repo.counts('nocCode', null, { groupBy: providers.groupBy })).find((c) => c.g === '33102')!.n - 120 - 45;
    expect(naive).toBe(3);
  });

  it('asks the database only for the fixed dimensions (no column name from input reaches SQL)', async () => {
    await expect(repo.counts('nocCode; DROP TABLE claimant_records' as never, null, { groupBy: ['qc.msss'] })).rejects.toThrow();
    const still = await queryAsOwner<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM claimant_records');
    expect(still[0].n).toBeGreaterThan(0);
  });
});
