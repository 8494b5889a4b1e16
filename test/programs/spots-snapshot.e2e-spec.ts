import { Client } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { releaseSpots, type EmptySpotDimension, type ProgramCondition, type ReleasedSpots, type SpotQuery } from '@passerelle/policy';
import { createDataSource } from '@passerelle/persistence';
import { createTestDatabase, olderTransactionsEnded, queryAsOwner, seededRandom, type SeededRandom, type TestDatabase } from '@passerelle/testing';
import { EmptySpotsRepository, SPOT_FIELDS, type FieldProviders } from '../../apps/gateway/src/programs/empty-spots.repository';
import { SpotsSnapshots } from '../../apps/gateway/src/programs/spots-snapshots';

/**
 * The gateway's cached columnar population (SpotsSnapshots) against the path it replaced (the
 * population read as a list on every count, EmptySpotsRepository#population): identical audited
 * releases — tables, UNDETERMINED cells and their missing fields, suppression, complementary
 * counts, what is recorded — over random stored data (several providers per subject, ties, nulls,
 * employment periods, applications withdrawn or not), random per-field provider access and
 * sequences of releases; read again after any write to the tables it is read from, and never
 * shared between callers whose agreements cover different providers or fields.
 */
const AT = new Date('2026-03-01T12:00:00Z');
const W = { from: '2020-03-13', to: '2020-08-14' };
const PROVIDERS = ['ca.irb', 'ca.ircc', 'qc.msss'];
const PROGRAM = 'snap-program';

const subjectOf = (set: number, i: number) => `i_${`${set}-${i}`.padStart(22, 'x')}`;

const RULES: ProgramCondition[][] = [
  [
    { name: 'status', kind: 'claimStatusIn', statuses: ['PENDING'] },
    { name: 'hours', kind: 'hoursAtLeast', hours: 120, ...W },
  ],
  [
    { name: 'status', kind: 'claimStatusIn', statuses: ['PENDING', 'ACCEPTED'] },
    { name: 'hours', kind: 'hoursAtLeast', hours: 120, ...W },
  ],
  [
    { name: 'in-quebec', kind: 'provinceIn', provinces: ['QC'] },
    { name: 'french', kind: 'frenchLevelAtLeast', level: 5 },
    { name: 'permit', kind: 'permitValidOn', date: 'today' },
  ],
  [
    { name: 'noc', kind: 'nocCodeIn', codes: ['33102', '64410'] },
    { name: 'sector', kind: 'sectorIn', sectors: ['HEALTH_CARE'] },
    { name: 'not-rejected', kind: 'claimStatusNotIn', statuses: ['REJECTED'] },
  ],
];
const GROUPINGS: EmptySpotDimension[][] = [[], ['province'], ['claimStatus'], ['province', 'noc'], ['province', 'noc', 'claimStatus']];

describe('the cached columnar empty-spots population equals the list read on every count', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let repo: EmptySpotsRepository;

  beforeAll(async () => {
    db = await createTestDatabase('spotsnap');
    ds = await createDataSource({ url: db.logins.gateway, poolSize: 3, applicationName: 'spots-snapshot' }).initialize();
    // Small pages, so that the snapshot is read in many (the gateway reads 100,000 subjects a page).
    repo = new EmptySpotsRepository(ds, 37);
    await queryAsOwner(db.url, `INSERT INTO program_streams (program, stream) VALUES ($1, 'main'), ('other-program', 'main')`, [PROGRAM]);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  async function fill(seed: number) {
    const r = seededRandom(seed);
    await queryAsOwner(db.url, 'DELETE FROM program_stream_applications');
    await queryAsOwner(db.url, 'DELETE FROM employment_periods');
    await queryAsOwner(db.url, 'DELETE FROM claimant_records');
    const n = 500;
    const maybe = <T>(v: T) => (r.next() < 0.2 ? null : v);
    const rows: unknown[][] = [];
    const periods: unknown[][] = [];
    for (let i = 0; i < n; i++) {
      // Clumps: every fifth subject copies its neighbour's values, so that cells are of every size.
      const holders = PROVIDERS.filter(() => r.next() < 0.6);
      for (const provider of holders.length ? holders : [r.pick(PROVIDERS)]) {
        const hours = maybe(r.pick([60, 130, 300]));
        rows.push([
          subjectOf(seed, i),
          provider,
          maybe(r.pick(['PENDING', 'ACCEPTED', 'REJECTED'])),
          maybe(r.pick(['QC', 'QC', 'ON', 'PE'])),
          maybe(r.pick(['2025-06-30', '2027-01-01'])),
          maybe(r.pick(['33102', '64410', '65201'])),
          maybe(r.pick(['HEALTH_CARE', 'SECURITY'])),
          hours,
          hours === null ? null : r.pick(['2020-04-01', '2020-01-01']),
          hours === null ? null : '2020-07-31',
          maybe(1 + r.int(12)),
          // ties of supplied_at: provider id decides
          `2026-01-0${1 + r.int(3)}T00:00:00Z`,
        ]);
        if (r.next() < 0.25) {
          periods.push([subjectOf(seed, i), provider, `e_${`${r.int(3)}`.padStart(22, 'e')}`, r.pick(['HEALTH_CARE', 'ADMINISTRATION']), r.pick(['2020-03-01', '2020-05-01']), '2020-06-30', r.pick([50, 100, 200])]);
        }
      }
    }
    await queryAsOwner(
      db.url,
      `INSERT INTO claimant_records (subject, provider, claim_status, province, work_permit_expiry, noc_code, sector, health_care_hours, hours_period_start, hours_period_end, french_level, supplied_at, version, supplied_by_kid)
       SELECT r[1], r[2], r[3], r[4], r[5]::date, r[6], r[7], r[8]::int, r[9]::date, r[10]::date, r[11]::smallint, r[12]::timestamptz, 1, 'k1'
         FROM jsonb_array_elements($1::jsonb) AS j, LATERAL (SELECT ARRAY(SELECT jsonb_array_elements_text(j))) AS x(r)`,
      [JSON.stringify(rows.map((row) => row.map((v) => (v === null ? null : String(v)))))],
    );
    await queryAsOwner(
      db.url,
      `INSERT INTO employment_periods (subject, provider, employer_ref, employer_sector, worksite_sector, start_day, end_day, hours, request_jti)
       SELECT r[1], r[2], r[3], 'SECURITY', r[4], r[5]::date, r[6]::date, r[7]::int, 'jti' FROM jsonb_array_elements($1::jsonb) AS j, LATERAL (SELECT ARRAY(SELECT jsonb_array_elements_text(j))) AS x(r)`,
      [JSON.stringify(periods.map((row) => row.map(String)))],
    );
    const applicants = Array.from({ length: 60 }, () => subjectOf(seed, r.int(n)));
    await queryAsOwner(
      db.url,
      `INSERT INTO program_stream_applications (program, stream, subject, status, period, province, applied_by, request_jti)
       SELECT $2, 'main', s, CASE WHEN hashtext(s) % 3 = 0 THEN 'WITHDRAWN' ELSE 'ADMITTED' END, 'all', 'QC', 'ca.ircc', 'seed-' || s FROM (SELECT DISTINCT unnest($1::text[]) AS s) u`,
      [applicants, PROGRAM],
    );
  }

  const randomProviders = (r: SeededRandom): FieldProviders => Object.fromEntries(SPOT_FIELDS.map((f) => [f, r.subset(PROVIDERS)]));

  /** One release both ways, in the same transaction; the history grows with what was released. */
  async function compare(snapshots: SpotsSnapshots, providers: FieldProviders, history: ReleasedSpots[], queries: SpotQuery[], program = PROGRAM) {
    return ds.transaction(async (m) => {
      const list = await repo.population(m, program, providers);
      const columnar = await snapshots.population(m, program, providers);
      expect(columnar.size).toBe(list.length);
      const before = releaseSpots(list, AT, history, queries);
      const now = releaseSpots(columnar, AT, history, queries);
      expect(now).toEqual(before);
      return now;
    });
  }

  it.each([1, 2, 3])('identical releases over random data, provider access and release sequences (data set %i)', async (seed) => {
    await fill(seed);
    const r = seededRandom(seed * 7919);
    const snapshots = new SpotsSnapshots(repo);
    let undetermined = 0;
    let suppressed = 0;
    for (let access = 0; access < 4; access++) {
      const providers = access === 0 ? Object.fromEntries(SPOT_FIELDS.map((f) => [f, PROVIDERS])) : randomProviders(r);
      let history: ReleasedSpots[] = [];
      for (let k = 0; k < 4; k++) {
        const query: SpotQuery = { conditions: r.pick(RULES), groupBy: r.pick(GROUPINGS), tables: r.next() < 0.5 ? ['notApplied', 'eligible'] : ['notApplied'] };
        const out = await compare(snapshots, providers, history, [query]);
        history = [...history, ...out.released];
        const cells = out.answers.flat(2);
        undetermined += cells.filter((c) => c.measure === 'UNDETERMINED_NOT_APPLIED').length;
        suppressed += cells.filter((c) => c.suppressed).length;
      }
    }
    // The comparison covered what matters.
    expect(undetermined).toBeGreaterThan(0);
    expect(suppressed).toBeGreaterThan(0);
  });

  it('reads again (only the subjects written, or who applied) after a write to claimant_records, employment_periods or program_stream_applications, and only then', async () => {
    await fill(4);
    const all: FieldProviders = Object.fromEntries(SPOT_FIELDS.map((f) => [f, PROVIDERS]));
    const snapshots = new SpotsSnapshots(repo);
    const query: SpotQuery = { conditions: RULES[0], groupBy: ['province'], tables: ['notApplied', 'eligible'] };
    const held = async () => ds.transaction((m) => snapshots.population(m, PROGRAM, all));
    // Once the transactions older than the fill ended anywhere in the cluster, one refresh marks
    // past the fill (olderTransactionsEnded): from then on only the writes below are new.
    await held();
    await olderTransactionsEnded(db.url);
    await held();
    const first = await held();
    expect(await held()).toBe(first);
    // Nothing written to the tables read: still the same object (a write elsewhere does not count).
    await queryAsOwner(db.url, `INSERT INTO count_releases (agency, program, stream, operation, released) VALUES ('x', 'y', 'main', 'simulateRule', '[]')`);
    expect(await held()).toBe(first);
    const writes = [
      `UPDATE claimant_records SET claim_status = 'PENDING' WHERE subject = (SELECT min(subject) FROM claimant_records)`,
      `DELETE FROM employment_periods WHERE subject = (SELECT min(subject) FROM employment_periods)`,
      `UPDATE program_stream_applications SET status = 'WITHDRAWN', withdrawn_at = now() WHERE subject = (SELECT min(subject) FROM program_stream_applications WHERE status = 'ADMITTED')`,
      `INSERT INTO claimant_records (subject, provider, claim_status, province, health_care_hours, hours_period_start, hours_period_end, version, supplied_at, supplied_by_kid)
       SELECT 'i_' || lpad(g::text, 22, 'n'), 'qc.msss', 'PENDING', 'PE', 500, date '2020-04-01', date '2020-06-30', 1, now(), 'k1' FROM generate_series(1, 12) g`,
    ];
    let last = first;
    for (const [i, sql] of writes.entries()) {
      await queryAsOwner(db.url, sql);
      const now = await held();
      expect(now).not.toBe(last);
      // Who applied: re-read alone; records or periods: only the subjects written (or, while some
      // transaction runs elsewhere in the cluster, a few written just before: unchanged).
      expect(snapshots.lastRefresh).not.toBe('full');
      last = now;
      await compare(snapshots, all, [], [query]);
    }
    // The twelve new PE claimants are counted.
    const pe = (await compare(snapshots, all, [], [query])).answers[0][0].find((c) => c.province === 'PE' && c.measure === 'ELIGIBLE_NOT_APPLIED');
    expect(pe?.count).toBeGreaterThanOrEqual(12);
  });

  it('a caller whose agreements lack a field gets UNDETERMINED for it, as before, even after a caller who has it filled the cache', async () => {
    await fill(5);
    const snapshots = new SpotsSnapshots(repo);
    const all: FieldProviders = Object.fromEntries(SPOT_FIELDS.map((f) => [f, PROVIDERS]));
    const query: SpotQuery = { conditions: RULES[0], groupBy: ['province'], tables: ['notApplied'] };
    const full = await compare(snapshots, all, [], [query]);
    expect(full.answers[0][0].some((c) => c.measure === 'ELIGIBLE_NOT_APPLIED')).toBe(true);
    // No healthCareHours: nobody can be judged on hours; the count is the same as read cold, and as the list path.
    const noHours: FieldProviders = { ...all, healthCareHours: [] };
    const restricted = await compare(snapshots, noHours, [], [query]);
    const cold = await compare(new SpotsSnapshots(repo), noHours, [], [query]);
    expect(restricted).toEqual(cold);
    expect(restricted.answers[0][0].length).toBeGreaterThan(0);
    expect(restricted.answers[0][0].every((c) => c.measure === 'UNDETERMINED_NOT_APPLIED' && String(c.field).split('+').includes('healthCareHours'))).toBe(true);
    // Another provider set for claimStatus only: values of the other providers never decide it.
    const onlyIrb: FieldProviders = { ...all, claimStatus: ['ca.irb'] };
    const irb = await compare(snapshots, onlyIrb, [], [query]);
    expect(irb).toEqual(await compare(new SpotsSnapshots(repo), onlyIrb, [], [query]));
    expect(irb).not.toEqual(full);
  });

  // ---- incremental refresh (migration 1795571000000): only the subjects written since the snapshot's mark ----

  const ALL: FieldProviders = Object.fromEntries(SPOT_FIELDS.map((f) => [f, PROVIDERS]));
  const WRITERS = ['ca.irb', 'qc.msss'];
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  /** A new internal id anywhere in the order of the others (upper and lower case, '-' and '_'). */
  const newSubject = (r: SeededRandom) => `i_${Array.from({ length: 22 }, () => B64[r.int(64)]).join('')}`;

  /** Random writes as the gateway's login makes them: new subjects, records replaced, a provider's record added, periods replaced; records removed (as the owner). */
  async function randomWrites(r: SeededRandom, count: number): Promise<void> {
    const known: Array<{ subject: string; provider: string }> = await ds.query(`SELECT subject, provider FROM claimant_records ORDER BY subject, provider`);
    const record = (subject: string, provider: string) => [
      subject,
      provider,
      r.pick(['PENDING', 'ACCEPTED', 'REJECTED', null]),
      r.pick(['QC', 'ON', 'PE', 'NU', null]),
      r.pick([130, 300, 60, null]),
      r.pick(['33102', '64410', null]),
      r.pick([3, 7, 11, null]),
    ];
    const upsert = (rows: unknown[][]) =>
      ds.query(
        `INSERT INTO claimant_records (subject, provider, claim_status, province, health_care_hours, hours_period_start, hours_period_end, noc_code, french_level, version, supplied_at, supplied_by_kid)
         SELECT r[1], r[2], r[3], r[4], r[5]::int, CASE WHEN r[5] IS NULL THEN NULL ELSE date '2020-04-01' END, CASE WHEN r[5] IS NULL THEN NULL ELSE date '2020-07-31' END, r[6], r[7]::smallint, 1, now(), 'k1'
           FROM jsonb_array_elements($1::jsonb) AS j, LATERAL (SELECT ARRAY(SELECT jsonb_array_elements_text(j))) AS x(r)
         ON CONFLICT (subject, provider) DO UPDATE SET claim_status = excluded.claim_status, province = excluded.province, health_care_hours = excluded.health_care_hours,
           hours_period_start = excluded.hours_period_start, hours_period_end = excluded.hours_period_end, noc_code = excluded.noc_code, french_level = excluded.french_level,
           version = claimant_records.version + 1, supplied_at = excluded.supplied_at`,
        [JSON.stringify(rows.map((row) => row.map((v) => (v === null ? null : String(v)))))],
      );
    for (let k = 0; k < count; k++) {
      const pick = r.pick(known);
      switch (r.int(5)) {
        case 0:
          await upsert(Array.from({ length: 1 + r.int(12) }, () => record(newSubject(r), r.pick(WRITERS))));
          break;
        case 1:
          await upsert([record(pick.subject, pick.provider)]);
          break;
        case 2:
          await upsert([record(pick.subject, r.pick(WRITERS))]);
          break;
        case 3: {
          const provider = r.pick(WRITERS);
          await ds.transaction(async (m) => {
            await m.query(`DELETE FROM employment_periods WHERE provider = $1 AND subject = $2`, [provider, pick.subject]);
            for (let p = r.int(3); p > 0; p--) {
              await m.query(
                `INSERT INTO employment_periods (subject, provider, employer_ref, employer_sector, worksite_sector, start_day, end_day, hours, request_jti) VALUES ($1, $2, $3, 'SECURITY', $4, $5::date, '2020-06-30', $6, 'jti')`,
                [pick.subject, provider, `e_${`${r.int(3)}`.padStart(22, 'e')}`, r.pick(['HEALTH_CARE', 'ADMINISTRATION']), r.pick(['2020-03-01', '2020-05-01']), r.pick([50, 100, 200])],
              );
            }
          });
          break;
        }
        default:
          await queryAsOwner(db.url, `DELETE FROM claimant_records WHERE subject = $1 AND provider = $2`, [pick.subject, pick.provider]);
      }
    }
  }

  it.each([11, 12, 13])('after random writes, the incrementally refreshed snapshot releases exactly as a full read and as the list path (data set %i)', async (seed) => {
    await fill(seed);
    const r = seededRandom(seed * 104729);
    const snapshots = new SpotsSnapshots(repo);
    const accesses = [ALL, randomProviders(r)];
    for (const providers of accesses) await ds.transaction((m) => snapshots.population(m, PROGRAM, providers));
    // Marked past the fill (see olderTransactionsEnded): the rounds below patch only what they write.
    await olderTransactionsEnded(db.url);
    for (const providers of accesses) await ds.transaction((m) => snapshots.population(m, PROGRAM, providers));
    const histories = accesses.map((): ReleasedSpots[] => []);
    // Claimants were added and removed, not only changed.
    const sizes = new Set<number>();
    for (let round = 0; round < 8; round++) {
      await randomWrites(r, 1 + r.int(6));
      for (const [a, providers] of accesses.entries()) {
        const query: SpotQuery = { conditions: r.pick(RULES), groupBy: r.pick(GROUPINGS), tables: ['notApplied', 'eligible'] };
        const refreshed = await ds.transaction((m) => snapshots.population(m, PROGRAM, providers));
        const size = refreshed.size;
        expect(snapshots.lastRefresh).toBe('incremental');
        const incremental = await compare(snapshots, providers, histories[a], [query]);
        // Nothing written since: the same population (a transaction still running anywhere in the
        // cluster keeps the mark low, so the same subjects may be read again: unchanged, not patched).
        expect(snapshots.lastRefresh).not.toBe('full');
        expect(await ds.transaction((m) => snapshots.population(m, PROGRAM, providers))).toBe(refreshed);
        const full = new SpotsSnapshots(repo);
        expect(await compare(full, providers, histories[a], [query])).toEqual(incremental);
        expect(full.lastRefresh).toBe('full');
        histories[a] = [...histories[a], ...incremental.released];
        sizes.add(size);
      }
    }
    expect(sizes.size).toBeGreaterThan(2);
  });

  /** Gateway-login connections holding a transaction open (ended after each test, whatever happened). */
  const writers: Client[] = [];
  afterEach(async () => {
    for (const c of writers.splice(0)) await c.end().catch(() => undefined);
  });
  async function openWriter(): Promise<Client> {
    const c = new Client({ connectionString: db.logins.gateway });
    writers.push(c);
    await c.connect();
    await c.query('BEGIN');
    return c;
  }
  const toNunavut = (c: Client | DataSource, subjects: string[]): Promise<unknown> =>
    (c as { query(sql: string, params: unknown[]): Promise<unknown> }).query(`UPDATE claimant_records SET province = 'NU', claim_status = 'PENDING', health_care_hours = 500, hours_period_start = '2020-04-01', hours_period_end = '2020-06-30', supplied_at = now() + interval '1 day' WHERE subject = ANY($1::text[])`, [subjects]);
  const nunavut = (out: { answers: Array<Array<Array<{ province: string | null; measure: string; count: number | null }>>> }) =>
    out.answers[0][0].find((c) => c.province === 'NU' && c.measure === 'ELIGIBLE_NOT_APPLIED')?.count ?? 0;
  /** `m` whose n-th query is followed by `after(n)` (the refresh's statements interleaved with other transactions). */
  const interleaved = (m: EntityManager, after: (n: number) => Promise<void>): EntityManager => {
    let n = 0;
    return new Proxy(m, {
      get: (target, prop, receiver) =>
        prop === 'query'
          ? async (sql: string, params?: unknown[]) => {
              const out: unknown = await target.query(sql, params);
              await after(++n);
              return out;
            }
          : Reflect.get(target, prop, receiver),
    });
  };

  it('writes committed out of order around a refresh are never missed (transactions held open on other connections)', async () => {
    await fill(21);
    // Claimants who have not applied (counted in notApplied once eligible).
    const subjects: string[] = (await ds.query(`SELECT DISTINCT subject FROM claimant_records WHERE subject NOT IN (SELECT subject FROM program_stream_applications) ORDER BY subject`)).map(
      (x: { subject: string }) => x.subject,
    );
    const groups = [0, 1, 2, 3, 4].map((g) => subjects.slice(g * 15, g * 15 + 15));
    const snapshots = new SpotsSnapshots(repo);
    const query: SpotQuery = { conditions: RULES[0], groupBy: ['province'], tables: ['notApplied'] };
    await compare(snapshots, ALL, [], [query]);
    expect(nunavut(await compare(snapshots, ALL, [], [query]))).toBe(0);
    // Marked past the fill (see olderTransactionsEnded), before this test holds transactions of its own.
    await olderTransactionsEnded(db.url);
    await compare(snapshots, ALL, [], [query]);

    // 1. T1 writes first (the older transaction id) and stays open; T2 writes later and commits first.
    const t1 = await openWriter();
    const t2 = await openWriter();
    await toNunavut(t1, groups[0]);
    await toNunavut(t2, groups[1]);
    await t2.query('COMMIT');
    // The refresh sees T2 only; its mark stays at or below T1, still running.
    expect(nunavut(await compare(snapshots, ALL, [], [query]))).toBe(15);
    expect(snapshots.lastRefresh).toBe('incremental');
    await t1.query('COMMIT');
    expect(nunavut(await compare(snapshots, ALL, [], [query]))).toBe(30);
    expect(snapshots.lastRefresh).toBe('incremental');

    // 2. Inside a refresh: T3 (written before it began) commits right after the refresh read the log,
    //    T4 starts, writes and commits between its statements; neither is missed by the next count.
    const t3 = await openWriter();
    await toNunavut(t3, groups[2]);
    await toNunavut(ds, [groups[3][0]]); // something to refresh
    const t4 = await openWriter();
    await ds.transaction(async (m) =>
      snapshots.population(
        interleaved(m, async (n) => {
          if (n === 1) await t3.query('COMMIT');
          if (n === 2) {
            await toNunavut(t4, groups[3]);
            await t4.query('COMMIT');
          }
        }),
        PROGRAM,
        ALL,
      ),
    );
    expect(snapshots.lastRefresh).toBe('incremental');
    expect(nunavut(await compare(snapshots, ALL, [], [query]))).toBe(60);

    // 3. Inside a full read: T5 commits after the pages were read (it was running at the mark).
    const fresh = new SpotsSnapshots(repo);
    const t5 = await openWriter();
    await toNunavut(t5, groups[4]);
    let reads = 0;
    await ds.transaction(async (m) => fresh.population(interleaved(m, async () => void reads++), PROGRAM, ALL));
    await t5.query('COMMIT');
    expect(fresh.lastRefresh).toBe('full');
    expect(reads).toBeGreaterThan(3);
    expect(nunavut(await compare(fresh, ALL, [], [query]))).toBe(75);
    expect(fresh.lastRefresh).toBe('incremental');
    expect(nunavut(await compare(snapshots, ALL, [], [query]))).toBe(75);
  });

  it('reads everything again when the change log was pruned past the snapshot, a table truncated, or too many subjects changed', async () => {
    await fill(22);
    const snapshots = new SpotsSnapshots(repo, { minChanged: 10, maxChangedShare: 0.05 });
    const query: SpotQuery = { conditions: RULES[1], groupBy: ['claimStatus'], tables: ['notApplied', 'eligible'] };
    await compare(snapshots, ALL, [], [query]);
    const some = async (n: number) => (await ds.query(`SELECT DISTINCT subject FROM claimant_records ORDER BY subject DESC LIMIT $1`, [n])).map((x: { subject: string }) => x.subject);
    // A transaction open anywhere in the cluster keeps a mark below the writes before it, and this
    // snapshot reads whole past 10 subjects (or a pruning or TRUNCATE above its mark): before each
    // step that asserts a patch, the older transactions end and one refresh moves the mark past them.
    const settle = async () => {
      await olderTransactionsEnded(db.url);
      await compare(snapshots, ALL, [], [query]);
    };
    await settle();
    // A few subjects: patched.
    await toNunavut(ds, await some(5));
    await compare(snapshots, ALL, [], [query]);
    expect(snapshots.lastRefresh).toBe('incremental');
    // Pruned past the snapshot's mark: everything read again.
    await toNunavut(ds, await some(3));
    expect(await ds.transaction((m) => repo.pruneChanges(m, '0 seconds'))).toBeGreaterThan(0);
    expect(Number((await ds.query(`SELECT count(*) AS n FROM spots_changes`))[0].n)).toBe(0);
    await compare(snapshots, ALL, [], [query]);
    expect(snapshots.lastRefresh).toBe('full');
    // A snapshot read after the pruning is patched again.
    await settle();
    await toNunavut(ds, await some(4));
    await compare(snapshots, ALL, [], [query]);
    expect(snapshots.lastRefresh).toBe('incremental');
    // More than max(10, 5 %) of the population: read whole.
    await toNunavut(ds, await some(40));
    await compare(snapshots, ALL, [], [query]);
    expect(snapshots.lastRefresh).toBe('full');
    // TRUNCATE (no subjects to name): read whole.
    await queryAsOwner(db.url, 'TRUNCATE employment_periods');
    await compare(snapshots, ALL, [], [query]);
    expect(snapshots.lastRefresh).toBe('full');
    // Nothing written: the same population, not read whole.
    await settle();
    const held = await ds.transaction((m) => snapshots.population(m, PROGRAM, ALL));
    expect(await ds.transaction((m) => snapshots.population(m, PROGRAM, ALL))).toBe(held);
    expect(snapshots.lastRefresh).not.toBe('full');
  });

  it('the change log names internal ids only, and the gateway login may not rewrite it', async () => {
    const rows: Array<{ subject: string | null }> = await ds.query(`SELECT DISTINCT subject FROM spots_changes`);
    expect(rows.length).toBeGreaterThan(0);
    for (const { subject } of rows) if (subject !== null) expect(subject).toMatch(/^i_[A-Za-z0-9_-]{22}$/);
    await expect(ds.query(`UPDATE spots_changes SET subject = NULL`)).rejects.toThrow(/permission denied/);
    await expect(ds.query(`INSERT INTO spots_changes (subject) VALUES ('4111111111111111')`)).rejects.toThrow(/check constraint|violates/);
    await expect(ds.query(`DELETE FROM spots_changes_pruned`)).rejects.toThrow(/permission denied/);
  });
});
