import { determinedUnknowns, eventually, createTestDatabase, createTestRegistry, queryAsOwner, startTrustStack, type TestDatabase, type TestRegistry, type TrustStack } from '@passerelle/testing';
import { loadPseudonymKeyring, toAgencyPseudonym, toInternalId, type PseudonymKeyring } from '@passerelle/crypto';
import type { LedgerEntryJson } from '@passerelle/contracts';
import type { GatewayResponse } from '@passerelle/client';
import { REFERENCE_PROGRAMS, type ProgramDefinition } from '@passerelle/policy';
import type { Agreement, RegistryDocument } from '@passerelle/registry';

/**
 * Issue 17 through the real gateway (signed requests, real Postgres, real consent-audit and
 * ledger): hours that add up across providers, reasons people can act on, the empty-spots
 * counts and their what-if, protected across a sequence of releases to one agency.
 */
const TODAY = new Date().toISOString().slice(0, 10);
const NEXT_YEAR = `${Number(TODAY.slice(0, 4)) + 1}-12-31`;
const W = { from: '2020-03-13', to: '2020-08-14' };
const guardianAngels = REFERENCE_PROGRAMS.find((p) => p.id === 'guardian-angels-2020')!;
/** Paced: 500 a programme year from 2025-01-01 (periods 2025-01-01, 2026-01-01, 2027-01-01). */
const qcHealthAsylum = REFERENCE_PROGRAMS.find((p) => p.id === 'qc-health-asylum')!;
const spots: ProgramDefinition = {
  id: 'spots-program',
  names: { en: 'Spots', fr: 'Places' },
  conditions: [
    { name: 'asylum-pending', kind: 'claimStatusIn', statuses: ['PENDING'] },
    { name: 'pandemic-hours', kind: 'hoursAtLeast', hours: 120, ...W },
  ],
  cap: null,
  capPeriod: null,
};
const frenchProgram: ProgramDefinition = {
  id: 'french-program',
  names: { en: 'French', fr: 'Français' },
  conditions: [
    { name: 'in-quebec', kind: 'provinceIn', provinces: ['QC'] },
    { name: 'intermediate-french', kind: 'frenchLevelAtLeast', level: 5 },
    { name: 'pandemic-hours', kind: 'hoursAtLeast', hours: 120, ...W },
  ],
  cap: null,
  capPeriod: null,
};

const agreement = (id: string, provider: string, consumer: string, fields: Agreement['fields'], purposes: Agreement['purposes']): Agreement => ({
  id,
  provider,
  consumer,
  purposes,
  fields,
  validFrom: '2020-01-01',
  validTo: NEXT_YEAR,
  legalBasis: 'test',
});

type Gql<T> = { data?: T; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
type Cell = { province: string | null; measure: string; field: string | null; count: number | null; suppressed: boolean };
type Counts = { notApplied: Cell[]; eligible: Cell[] | null };

const ELIGIBILITY = `query($p: String!, $s: String!) { eligibility(program: $p, pseudonym: $s) { outcome conditions { name result unknownReason } reasons { condition field result missing providers action } } }`;
const CELLS = 'province measure field count suppressed';
const ENA = `query($p: String!, $g: [EmptySpotDimension!]) { eligibleNotApplied(program: $p, groupBy: $g) { counts { notApplied { ${CELLS} } } uncoveredFields complementarySuppressed withheld } }`;
const SIMULATE = `query($p: String!, $c: RuleChangeInput!, $g: [EmptySpotDimension!]) { simulateRule(program: $p, change: $c, groupBy: $g) {
  before { notApplied { ${CELLS} } eligible { ${CELLS} } } after { notApplied { ${CELLS} } eligible { ${CELLS} } } complementarySuppressed withheld } }`;

/** The population the counts are about (all from qc.msss; hours as employment periods). */
interface Group {
  key: string;
  province: string;
  status: string;
  hours: number | null;
  n: number;
  applied?: number;
}
const GROUPS: Group[] = [
  { key: 'QC-P', province: 'QC', status: 'PENDING', hours: 200, n: 120, applied: 20 },
  { key: 'ON-P', province: 'ON', status: 'PENDING', hours: 200, n: 30 },
  { key: 'PE-P', province: 'PE', status: 'PENDING', hours: 200, n: 12 },
  { key: 'PE-A', province: 'PE', status: 'ACCEPTED', hours: 200, n: 3 }, // the 3 a what-if would give away
  { key: 'QC-A', province: 'QC', status: 'ACCEPTED', hours: 200, n: 40 },
  { key: 'QC-NOHOURS', province: 'QC', status: 'PENDING', hours: null, n: 15 },
  { key: 'QC-FEW', province: 'QC', status: 'PENDING', hours: 60, n: 25 },
];
const ids = (g: Group) => Array.from({ length: g.n }, (_, i) => `SPOT-${g.key}-${i}`);

describe('hours, reasons and the empty-spots counts through the gateway', () => {
  let db: TestDatabase;
  let stack: TrustStack;
  let registry: TestRegistry;
  let keyring: PseudonymKeyring;
  const url = () => stack.gateway.url;
  const entryOf = async (res: GatewayResponse): Promise<LedgerEntryJson> => {
    const entry = (await stack.ledgerEntries()).filter((e) => e.jti === res.jti && e.reason !== 'intent').pop();
    if (!entry) throw new Error(`no ledger entry for this exchange (HTTP ${res.status})`);
    return entry;
  };
  const pseudonymFor = (agency: string, clientId: string) => toAgencyPseudonym(keyring, agency, toInternalId(keyring, clientId));
  const submit = async (provider: string, records: unknown[]) => {
    const res = await registry.client(provider, url()).graphql<Gql<{ submitClaimants: { accepted: unknown[]; rejected: Array<{ index: number; reason: string }> } }>>(
      `mutation($r: [ClaimantInput!]!) { submitClaimants(records: $r) { accepted { index } rejected { index reason } } }`,
      { r: records },
      'PROVISION',
    );
    expect(res.json.errors).toBeUndefined();
    return res.json.data!.submitClaimants;
  };
  const period = (employerId: string, start: string, end: string, hours: number, worksiteSector = 'HEALTH_CARE', employerSector = 'HEALTH_CARE') => ({ employerId, employerSector, worksiteSector, start, end, hours });

  beforeAll(async () => {
    db = await createTestDatabase('emptyspots');
    const counted: Agreement['fields'] = ['province', 'claimStatus', 'nocCode', 'healthCareHours'];
    registry = await createTestRegistry({
      agreements: [
        agreement('dsa-msss-ircc-pe', 'qc.msss', 'ca.ircc', ['province', 'claimStatus', 'nocCode', 'sector', 'healthCareHours'], ['PROGRAM_ELIGIBILITY']),
        agreement('dsa-irb-ircc-pe', 'ca.irb', 'ca.ircc', ['healthCareHours'], ['PROGRAM_ELIGIBILITY']),
        agreement('dsa-msss-mifi-pe', 'qc.msss', 'qc.mifi', ['frenchLevel'], ['PROGRAM_ELIGIBILITY']),
        agreement('dsa-msss-ircc-st', 'qc.msss', 'ca.ircc', counted, ['STATISTICS']),
        agreement('dsa-msss-esdc-st', 'qc.msss', 'ca.esdc', counted, ['STATISTICS']),
        agreement('dsa-msss-mltsd-st', 'qc.msss', 'on.mltsd', counted, ['STATISTICS']),
        // counts, but not on hours
        agreement('dsa-msss-mifi-st', 'qc.msss', 'qc.mifi', ['province', 'claimStatus', 'nocCode'], ['STATISTICS']),
        agreement('dsa-msss-prov', 'qc.msss', 'ca.ircc', ['province'], ['PROVISION']),
        agreement('dsa-irb-prov', 'ca.irb', 'ca.ircc', ['healthCareHours'], ['PROVISION']),
      ],
      programs: [guardianAngels, spots, frenchProgram, qcHealthAsylum] as unknown as RegistryDocument['programs'],
      consentRequiredFor: ['JOB_MATCHING', 'RELOCATION'],
    });
    stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url });
    keyring = await loadPseudonymKeyring(stack.secretsDir);

    const population = GROUPS.flatMap((g) =>
      ids(g).map((clientId) => ({
        clientId,
        province: g.province,
        claimStatus: g.status,
        nocCode: '33102',
        ...(g.hours === null ? {} : { employment: [period(`NEQ-${g.key}`, '2020-04-01', '2020-06-30', g.hours)] }),
      })),
    );
    const hoursCases = [
      // A security firm's guard posted in a CHSLD (the guardian-angels case).
      { clientId: 'GUARD-1', province: 'QC', claimStatus: 'REJECTED', nocCode: '64410', sector: 'SECURITY', employment: [period('NEQ-GARDA', '2020-04-01', '2020-06-30', 300, 'HEALTH_CARE', 'SECURITY')] },
      { clientId: 'GUARD-2', province: 'QC', claimStatus: 'REJECTED', nocCode: '64410', sector: 'SECURITY', employment: [period('NEQ-GARDA', '2020-04-01', '2020-06-30', 300, 'ADMINISTRATION', 'SECURITY')] },
      // Two jobs, one reported by each provider: 80 + 70.
      { clientId: 'SPLIT-1', province: 'QC', claimStatus: 'REJECTED', nocCode: '33102', employment: [period('NEQ-A', '2020-04-01', '2020-04-30', 80)] },
      // One job reported by both providers: 100, not 200.
      { clientId: 'DOUBLE-1', province: 'QC', claimStatus: 'REJECTED', nocCode: '33102', employment: [period('NEQ-C', '2020-04-01', '2020-04-30', 100)] },
      // One job, overlapping reports: 3 h/day (msss) and 3.5 h/day (irb) over half a month each: 45 + 52.5 + 52.5 = 150.
      { clientId: 'DOUBLE-2', province: 'QC', claimStatus: 'REJECTED', nocCode: '33102', employment: [period('NEQ-D', '2020-04-01', '2020-04-30', 90)] },
    ];
    for (let i = 0; i < population.length; i += 100) expect((await submit('qc.msss', population.slice(i, i + 100))).rejected).toEqual([]);
    expect((await submit('qc.msss', hoursCases)).rejected).toEqual([]);
    const irb = await submit('ca.irb', [
      { clientId: 'SPLIT-1', employment: [period('NEQ-B', '2020-06-01', '2020-06-30', 70)] },
      { clientId: 'DOUBLE-1', employment: [period('NEQ-C', '2020-04-01', '2020-04-30', 100)] },
      { clientId: 'DOUBLE-2', employment: [period('NEQ-D', '2020-04-16', '2020-05-15', 105)] },
      { clientId: 'BAD-1', employment: [period('NEQ-E', '2020-04-01', '2020-04-02', 100)] },
    ]);
    expect(irb.rejected).toEqual([{ index: 3, reason: 'employment[0].hours exceeds 24 hours a day over the period' }]);
    // 20 of the QC-P claimants applied (they are not empty spots).
    const applied = ids(GROUPS[0]).slice(0, 20).map((c) => toInternalId(keyring, c));
    await queryAsOwner(db.url, `INSERT INTO program_streams (program, stream) VALUES ('spots-program', 'main') ON CONFLICT DO NOTHING`);
    await queryAsOwner(
      db.url,
      `INSERT INTO program_stream_applications (program, stream, subject, status, period, province, applied_by, request_jti, admitted_at) SELECT 'spots-program', 'main', s, 'ADMITTED', 'all', 'QC', 'ca.ircc', 'seed-' || s, now() FROM unnest($1::text[]) AS s`,
      [applied],
    );
    // qc-health-asylum: admitted in its first programme year (2025) and its second (2026); PE has 2 in the first.
    await queryAsOwner(db.url, `INSERT INTO program_streams (program, stream) VALUES ('qc-health-asylum', 'main') ON CONFLICT DO NOTHING`);
    await queryAsOwner(
      db.url,
      `INSERT INTO program_stream_applications (program, stream, subject, status, period, province, applied_by, request_jti, applied_at, admitted_at)
       SELECT 'qc-health-asylum', 'main', 'i_' || lpad(k || '-' || g, 22, 'u'), 'ADMITTED', p, v, 'qc.mifi', 'seed-u-' || k || '-' || g, d::timestamptz, d::timestamptz
         FROM (VALUES (1, 100, 'QC', '2025-03-10', '2025-01-01'), (2, 2, 'PE', '2025-05-02', '2025-01-01'), (3, 50, 'QC', '2026-04-01', '2026-01-01'), (4, 12, 'PE', '2026-06-15', '2026-01-01')) AS t(k, n, v, d, p),
              generate_series(1, n) AS g`,
    );
  }, 420_000);

  afterAll(async () => {
    await stack?.stop();
    await registry?.cleanup();
    await db?.drop();
  });

  describe('hours that add up', () => {
    const outcome = async (clientId: string) => {
      const res = await registry.client('ca.ircc', url()).graphql<Gql<{ eligibility: { outcome: string; reasons: unknown[] } }>>(ELIGIBILITY, { p: guardianAngels.id, s: pseudonymFor('ca.ircc', clientId) }, 'PROGRAM_ELIGIBILITY');
      expect(res.json.errors).toBeUndefined();
      return { outcome: res.json.data!.eligibility.outcome, res };
    };

    it("counts a security firm's guard posted in a CHSLD (worksite sector), not one posted in an office", async () => {
      expect((await outcome('GUARD-1')).outcome).toBe('ELIGIBLE');
      expect((await outcome('GUARD-2')).outcome).toBe('NOT_ELIGIBLE');
    });

    it('sums hours across employers and providers, and counts one job reported by two providers once', async () => {
      const split = await outcome('SPLIT-1');
      expect(split.outcome).toBe('ELIGIBLE');
      expect((await entryOf(split.res)).fields).toContain('healthCareHours');
      expect((await outcome('DOUBLE-1')).outcome).toBe('NOT_ELIGIBLE');
      expect((await outcome('DOUBLE-2')).outcome).toBe('ELIGIBLE');
    });

    it('stores periods under the internal id with a keyed employer reference, never the business number', async () => {
      const rows = await queryAsOwner<{ subject: string; employer_ref: string; provider: string }>(db.url, `SELECT subject, employer_ref, provider FROM employment_periods WHERE subject = $1 ORDER BY provider`, [toInternalId(keyring, 'DOUBLE-1')]);
      expect(rows.map((r) => r.provider)).toEqual(['ca.irb', 'qc.msss']);
      expect(rows[0].employer_ref).toMatch(/^e_[A-Za-z0-9_-]{22}$/);
      expect(rows[0].employer_ref).toBe(rows[1].employer_ref);
      const raw = await queryAsOwner<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM employment_periods p WHERE p::text LIKE '%NEQ-%' OR p::text LIKE '%DOUBLE%'`);
      expect(raw[0].n).toBe(0);
    });
  });

  it('names, for each condition not met, the field, the provider and the agreement or data missing', async () => {
    const res = await registry.client('ca.ircc', url()).graphql<Gql<{ eligibility: { outcome: string; reasons: Array<Record<string, unknown>> } }>>(
      ELIGIBILITY,
      { p: frenchProgram.id, s: pseudonymFor('ca.ircc', 'SPOT-QC-NOHOURS-0') },
      'PROGRAM_ELIGIBILITY',
    );
    expect(res.json.errors).toBeUndefined();
    const { outcome, reasons } = res.json.data!.eligibility;
    expect(outcome).toBe('UNDETERMINED');
    expect(reasons).toEqual([
      expect.objectContaining({ condition: 'intermediate-french', field: 'frenchLevel', result: 'UNKNOWN', missing: 'AGREEMENT', providers: ['qc.msss'] }),
      expect.objectContaining({ condition: 'pandemic-hours', field: 'healthCareHours', result: 'UNKNOWN', missing: 'DATA', providers: ['ca.irb', 'qc.msss'] }),
    ]);
    expect(String(reasons[0].action)).toContain('no agreement in force gives ca.ircc frenchLevel for PROGRAM_ELIGIBILITY');
  });

  describe('the empty-spots question', () => {
    const ircc = () => registry.client('ca.ircc', url());
    const published: Array<{ program: ProgramDefinition['conditions']; table: 'notApplied' | 'eligible'; cells: Cell[] }> = [];

    it('counts who meets the stream and has not applied, by province; undetermined apart with the missing field; nothing below 10', async () => {
      const res = await ircc().graphql<Gql<{ eligibleNotApplied: { counts: Counts; uncoveredFields: string[]; withheld: boolean } }>>(ENA, { p: spots.id, g: ['province'] }, 'STATISTICS');
      expect(res.json.errors).toBeUndefined();
      const answer = res.json.data!.eligibleNotApplied;
      expect(answer.withheld).toBe(false);
      expect(answer.uncoveredFields).toEqual([]);
      expect(answer.counts.notApplied.map((c) => [c.province, c.measure, c.field, c.count])).toEqual([
        ['ON', 'ELIGIBLE_NOT_APPLIED', null, 30],
        ['PE', 'ELIGIBLE_NOT_APPLIED', null, 12],
        ['QC', 'ELIGIBLE_NOT_APPLIED', null, 100],
        ['QC', 'UNDETERMINED_NOT_APPLIED', 'healthCareHours', 15],
      ]);
      expect(JSON.stringify(res.json)).not.toMatch(/i_[A-Za-z0-9_-]{22}|SPOT-/);
      const entry = await entryOf(res);
      expect(entry.subjects ?? []).toEqual([]);
      published.push({ program: spots.conditions, table: 'notApplied', cells: answer.counts.notApplied });
    });

    it('a what-if admitting ACCEPTED claimants: the 3 in PE it would add cannot be read off by differencing with the earlier release', async () => {
      const change = { set: JSON.stringify([{ name: 'asylum-pending', kind: 'claimStatusIn', statuses: ['PENDING', 'ACCEPTED'] }]) };
      const res = await ircc().graphql<Gql<{ simulateRule: { before: Counts; after: Counts; complementarySuppressed: number; withheld: boolean } }>>(SIMULATE, { p: spots.id, c: change, g: ['province'] }, 'STATISTICS');
      expect(res.json.errors).toBeUndefined();
      const sim = res.json.data!.simulateRule;
      const after = sim.after.notApplied.find((c) => c.province === 'PE' && c.measure === 'ELIGIBLE_NOT_APPLIED')!;
      expect(after).toMatchObject({ count: null, suppressed: true });
      expect(sim.complementarySuppressed).toBeGreaterThan(0);
      expect(sim.before.notApplied.find((c) => c.province === 'QC' && c.measure === 'ELIGIBLE_NOT_APPLIED')?.count).toBe(100);
      const changed = spots.conditions.map((c) => (c.name === 'asylum-pending' ? { ...c, statuses: ['PENDING', 'ACCEPTED'] } : c)) as ProgramDefinition['conditions'];
      published.push({ program: spots.conditions, table: 'notApplied', cells: sim.before.notApplied }, { program: spots.conditions, table: 'eligible', cells: sim.before.eligible! });
      published.push({ program: changed, table: 'notApplied', cells: sim.after.notApplied }, { program: changed, table: 'eligible', cells: sim.after.eligible! });
      for (const p of published) for (const c of p.cells) if (c.count !== null) expect(c.count === 0 || c.count >= 10).toBe(true);
      expect(attack(published)).toEqual([]);
      // Control: an agency with no history is protected by the what-if alone, since its before (PE 12)
      // and after (PE 15) would differ by the same 3: PE is suppressed on one side, and nothing is solvable.
      const esdc = await registry.client('ca.esdc', url()).graphql<Gql<{ simulateRule: { before: Counts; after: Counts } }>>(SIMULATE, { p: spots.id, c: change, g: ['province'] }, 'STATISTICS');
      expect(esdc.json.errors).toBeUndefined();
      const fresh = esdc.json.data!.simulateRule;
      const pe = [...fresh.before.notApplied, ...fresh.after.notApplied].filter((c) => c.province === 'PE' && c.measure === 'ELIGIBLE_NOT_APPLIED');
      expect(pe).toHaveLength(2);
      expect(pe.filter((c) => c.suppressed)).toHaveLength(1);
      expect(pe.find((c) => !c.suppressed)!.count).toBeGreaterThanOrEqual(10);
      expect(
        attack([
          { program: spots.conditions, table: 'notApplied', cells: fresh.before.notApplied },
          { program: spots.conditions, table: 'eligible', cells: fresh.before.eligible! },
          { program: changed, table: 'notApplied', cells: fresh.after.notApplied },
          { program: changed, table: 'eligible', cells: fresh.after.eligible! },
        ]),
      ).toEqual([]);
    });

    it('records what each release published (cell keys, never a count or an identity)', async () => {
      const rows = await queryAsOwner<{ operation: string; released: unknown }>(db.url, `SELECT operation, released FROM count_releases WHERE agency = 'ca.ircc' ORDER BY id`);
      expect(rows.map((r) => r.operation)).toEqual(['eligibleNotApplied', 'simulateRule']);
      const text = JSON.stringify(rows);
      expect(text).not.toMatch(/i_[A-Za-z0-9_-]{22}/);
      expect(text).not.toMatch(/"count"/);
      await expect(queryAsOwner(db.url.replace(/\/\/[^@]*@/, '//passerelle_gateway@'), `DELETE FROM count_releases`)).rejects.toThrow();
    });

    it('what-if equals a recomputation with the rule actually changed in the registry', async () => {
      const change = { set: JSON.stringify([{ name: 'pandemic-hours', kind: 'hoursAtLeast', hours: 50, ...W }]) };
      const sim = await registry.client('ca.esdc', url()).graphql<Gql<{ simulateRule: { after: Counts } }>>(SIMULATE, { p: spots.id, c: change, g: ['province'] }, 'STATISTICS');
      expect(sim.json.errors).toBeUndefined();
      const doc = structuredClone(registry.document);
      const changed = doc.programs!.find((p) => p.id === spots.id)! as unknown as ProgramDefinition;
      changed.conditions = changed.conditions.map((c) => (c.name === 'pandemic-hours' ? { ...c, hours: 50 } : c));
      await registry.write(doc);
      const reloads = () => stack.gateway.app.lines.filter((l) => l.includes('registry reloaded')).length;
      const before = reloads();
      stack.gateway.app.proc.kill('SIGHUP');
      await eventuallyTrue(() => reloads() > before);
      // A third agency with the same agreements and no history: the plain recomputation.
      const fresh = await registry.client('on.mltsd', url()).graphql<Gql<{ eligibleNotApplied: { counts: Counts } }>>(ENA, { p: spots.id, g: ['province'] }, 'STATISTICS');
      expect(fresh.json.errors).toBeUndefined();
      const recomputed = fresh.json.data!.eligibleNotApplied.counts.notApplied;
      const whatIf = sim.json.data!.simulateRule.after.notApplied;
      expect(recomputed.map((c) => [c.province, c.measure, c.field])).toEqual(whatIf.map((c) => [c.province, c.measure, c.field]));
      recomputed.forEach((c, i) => {
        if (c.count !== null && whatIf[i].count !== null) expect(whatIf[i].count).toBe(c.count);
      });
      // QC: 100 with 200 h + 25 with 60 h now count.
      expect(recomputed.find((c) => c.province === 'QC' && c.measure === 'ELIGIBLE_NOT_APPLIED')?.count).toBe(125);
    });

    it('an agency whose agreements do not name healthCareHours gets UNDETERMINED for it, after others filled the cached population, never a hint', async () => {
      // ca.ircc's counts above read the population with hours; qc.mifi's may not use them.
      const mifi = await registry.client('qc.mifi', url()).graphql<Gql<{ eligibleNotApplied: { counts: Counts; uncoveredFields: string[] } }>>(ENA, { p: spots.id, g: ['province'] }, 'STATISTICS');
      expect(mifi.json.errors).toBeUndefined();
      const answer = mifi.json.data!.eligibleNotApplied;
      expect(answer.uncoveredFields).toEqual(['healthCareHours']);
      expect(answer.counts.notApplied.length).toBeGreaterThan(0);
      for (const c of answer.counts.notApplied) expect(c).toMatchObject({ measure: 'UNDETERMINED_NOT_APPLIED', field: 'healthCareHours' });
      // PENDING claimants not applied, by province, whatever their hours: QC 100 + 15 + 25, ON 30, PE 12.
      expect(answer.counts.notApplied.map((c) => [c.province, c.count])).toEqual([
        ['ON', 30],
        ['PE', 12],
        ['QC', 140],
      ]);
      expect((await entryOf(mifi)).fields).not.toContain('healthCareHours');
    });

    it('programUptake releases are recorded and audited: a second year asked after all years cannot give away the 2 admitted in PE the first year', async () => {
      type Uptake = { programUptake: { applications: number; admissions: number; byProvince: Array<{ province: string; count: number | null; suppressed: boolean }>; cells: Array<{ province: string | null; applications: number | null; admissions: number | null; suppressed: boolean }> } };
      const UPTAKE = `query($p: String!, $period: String) { programUptake(program: $p, period: $period, groupBy: [province]) { applications admissions byProvince { province count suppressed } cells { province applications admissions suppressed } } }`;
      const ask = async (agency: string, period: string | null) => {
        const res = await registry.client(agency, url()).graphql<Gql<Uptake>>(UPTAKE, { p: qcHealthAsylum.id, period }, 'STATISTICS');
        expect(res.json.errors).toBeUndefined();
        return res.json.data!.programUptake;
      };
      const all = await ask('ca.ircc', null);
      expect([...all.byProvince].sort((a, b) => a.province.localeCompare(b.province))).toEqual([
        { province: 'PE', count: 14, suppressed: false },
        { province: 'QC', count: 150, suppressed: false },
      ]);
      // Control: an agency with no history is given the second year's PE, 12 (≥ 10) ...
      const fresh = await ask('ca.esdc', '2026-01-01');
      expect(fresh.byProvince.find((c) => c.province === 'PE')).toEqual({ province: 'PE', count: 12, suppressed: false });
      // ... which, to ca.ircc, would give away 14 − 12 = 2: withheld, with whatever would let it be recomputed.
      const second = await ask('ca.ircc', '2026-01-01');
      expect(second.byProvince.find((c) => c.province === 'PE')).toMatchObject({ count: null, suppressed: true });
      expect(second.cells.find((c) => c.province === 'PE')).toMatchObject({ applications: null, admissions: null, suppressed: true });
      // The attacker over everything ca.ircc was given (and the public totals of every period) solves for nothing small.
      const groups = [
        { name: 'QC-2025', province: 'QC', year: 2025, n: 100 },
        { name: 'PE-2025', province: 'PE', year: 2025, n: 2 },
        { name: 'QC-2026', province: 'QC', year: 2026, n: 50 },
        { name: 'PE-2026', province: 'PE', year: 2026, n: 12 },
      ];
      const eqs: number[][] = [];
      const row = (f: (g: (typeof groups)[number]) => boolean) => groups.map((g) => (f(g) ? 1 : 0));
      for (const year of [2025, 2026, 2027]) eqs.push(row((g) => g.year === year));
      eqs.push(row(() => true));
      for (const [answer, year] of [[all, null], [second, 2026]] as const) {
        for (const c of answer.byProvince) if (!c.suppressed) eqs.push(row((g) => g.province === c.province && (year === null || g.year === year)));
        for (const c of answer.cells) if (!c.suppressed) eqs.push(row((g) => g.province === c.province && (year === null || g.year === year)));
      }
      const solved = determinedUnknowns(eqs, groups.length).map((i) => groups[i]);
      expect(solved.filter((g) => g.n < 10)).toEqual([]);
      const rows = await queryAsOwner<{ operation: string; released: unknown }>(db.url, `SELECT operation, released FROM count_releases WHERE agency = 'ca.ircc' AND program = 'qc-health-asylum' ORDER BY id`);
      expect(rows.map((r) => r.operation)).toEqual(['programUptake', 'programUptake']);
      expect(JSON.stringify(rows)).not.toMatch(/"count"|i_[A-Za-z0-9_-]{22}/);
    });

    it('refuses, and audits, an agency without agreement, a wrong purpose, and a change that is not a valid rule', async () => {
      // ca.irb (a provider) holds no STATISTICS agreement as a consumer.
      const noAgreement = await registry.client('ca.irb', url()).graphql<Gql<unknown>>(ENA, { p: spots.id, g: ['province'] }, 'STATISTICS');
      expect(noAgreement.json.errors![0].extensions).toMatchObject({ code: 'NO_AGREEMENT' });
      expect(await entryOf(noAgreement)).toMatchObject({ decision: 'DENY' });
      const wrongPurpose = await ircc().graphql<Gql<unknown>>(ENA, { p: spots.id, g: ['province'] }, 'PROGRAM_ELIGIBILITY');
      expect(wrongPurpose.json.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });
      expect(await entryOf(wrongPurpose)).toMatchObject({ decision: 'DENY' });
      const bad = await ircc().graphql<Gql<unknown>>(SIMULATE, { p: spots.id, c: { set: JSON.stringify([{ name: 'pandemic-hours', kind: 'hoursAtLeast', hours: -5, ...W }]) }, g: [] }, 'STATISTICS');
      expect(bad.json.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'RULE_CHANGE_INVALID' });
      const garbage = await ircc().graphql<Gql<unknown>>(SIMULATE, { p: spots.id, c: { set: '{not json' }, g: [] }, 'STATISTICS');
      expect(garbage.json.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'RULE_CHANGE_INVALID' });
      expect(garbage.json.errors![0].message).not.toContain('{not json');
    });
  });
});

async function eventuallyTrue(check: () => boolean): Promise<void> {
  await eventually(check, 60_000, () => 'the gateway did not log a registry reload');
}

/**
 * The linear-algebra attacker over everything published to one agency: unknowns are the groups
 * of claimants the test knows (one per (province, status, hours, applied)); each published cell
 * is an equation. Returns the groups of 1–9 it can solve for, and the suppressed cells of 1–9.
 */
function attack(published: Array<{ program: ProgramDefinition['conditions']; table: 'notApplied' | 'eligible'; cells: Cell[] }>): string[] {
  type Unit = { name: string; province: string; status: string; hours: number | null; applied: boolean; n: number };
  const units: Unit[] = GROUPS.flatMap((g) => {
    const applied = g.applied ?? 0;
    return [
      { name: `${g.key}`, province: g.province, status: g.status, hours: g.hours, applied: false, n: g.n - applied },
      ...(applied > 0 ? [{ name: `${g.key}-applied`, province: g.province, status: g.status, hours: g.hours, applied: true, n: applied }] : []),
    ];
  });
  const classify = (u: Unit, conditions: ProgramDefinition['conditions']): 'ELIGIBLE' | 'UNDETERMINED' | 'NO' => {
    let unknown = false;
    for (const c of conditions) {
      if (c.kind === 'claimStatusIn' && !(c.statuses as string[]).includes(u.status)) return 'NO';
      if (c.kind === 'hoursAtLeast') {
        if (u.hours === null) unknown = true;
        else if (u.hours < c.hours) return 'NO';
      }
    }
    return unknown ? 'UNDETERMINED' : 'ELIGIBLE';
  };
  const eqs: number[][] = [];
  const secrets: Array<{ name: string; row: number[] }> = [];
  for (const p of published) {
    for (const cell of p.cells) {
      const row = units.map((u): number => {
        const k = classify(u, p.program);
        if (u.province !== cell.province) return 0;
        if (p.table === 'eligible') return k === 'ELIGIBLE' ? 1 : 0;
        if (u.applied) return 0;
        return (cell.measure === 'ELIGIBLE_NOT_APPLIED' && k === 'ELIGIBLE') || (cell.measure === 'UNDETERMINED_NOT_APPLIED' && k === 'UNDETERMINED') ? 1 : 0;
      });
      if (cell.count !== null) eqs.push(row);
      else {
        const n = row.reduce((s, x, i) => s + x * units[i].n, 0);
        if (n > 0 && n < 10) secrets.push({ name: `${cell.province}/${cell.measure}`, row });
      }
    }
  }
  const width = units.length + secrets.length;
  const all = eqs.map((r) => [...r, ...secrets.map(() => 0)]);
  secrets.forEach((s, j) => all.push([...s.row.map((x) => -x), ...secrets.map((_, q) => (q === j ? 1 : 0))]));
  const solved = new Set(determinedUnknowns(all, width));
  return [...units.filter((u, i) => solved.has(i) && u.n > 0 && u.n < 10).map((u) => u.name), ...secrets.filter((_, j) => solved.has(units.length + j)).map((s) => s.name)];
}
