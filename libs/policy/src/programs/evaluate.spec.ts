import fc from 'fast-check';
import { evaluateProgram, programFields, programOpenOn } from './evaluate';
import { findStream } from './pacing';
import { CLAIM_STATUS_VALUES, PROVINCE_CODES, SECTOR_VALUES, type ClaimantView, type ProgramDefinition } from './program.types';
import { REFERENCE_PROGRAMS } from './reference-programs';

const program = (id: string): ProgramDefinition => REFERENCE_PROGRAMS.find((p) => p.id === id)!;
const AT = new Date('2026-03-01T12:00:00Z');

/** A claimant who meets qc-health-asylum and guardian-angels-2020. */
const aide: ClaimantView = {
  claimStatus: 'APPEAL_PENDING',
  province: 'QC',
  workPermitExpiry: '2027-01-31',
  nocCode: '33102',
  sector: 'HEALTH_CARE',
  healthCareHours: { hours: 400, periodStart: '2020-03-15', periodEnd: '2020-08-01' },
  frenchLevel: 6,
};

type Row = [string, ClaimantView, 'ELIGIBLE' | 'NOT_ELIGIBLE' | 'UNDETERMINED', Record<string, string>];

describe('evaluateProgram: guardian-angels-2020', () => {
  const rows: Row[] = [
    ['a patient care aide with 400 h in the first wave', aide, 'ELIGIBLE', {}],
    ['a security guard in a hospital (any role counts)', { ...aide, nocCode: '64410', healthCareHours: { hours: 120, periodStart: '2020-03-13', periodEnd: '2020-08-14' } }, 'ELIGIBLE', {}],
    ['119 hours: one short of the threshold', { ...aide, healthCareHours: { hours: 119, periodStart: '2020-03-13', periodEnd: '2020-08-14' } }, 'NOT_ELIGIBLE', { 'pandemic-hours': 'NOT_MET' }],
    ['hours worked only after the window', { ...aide, healthCareHours: { hours: 900, periodStart: '2020-09-01', periodEnd: '2021-06-30' } }, 'NOT_ELIGIBLE', { 'pandemic-hours': 'NOT_MET' }],
    ['enough hours over a period that overlaps the window: cannot tell', { ...aide, healthCareHours: { hours: 500, periodStart: '2020-01-01', periodEnd: '2020-12-31' } }, 'UNDETERMINED', { 'pandemic-hours': 'UNKNOWN' }],
    [
      'an essential worker outside health care: hours at a restaurant do not count',
      { ...aide, sector: 'FOOD_SERVICES', healthCareHours: null, employment: [{ provider: 'qc.mtess', employer: 'e1', employerSector: 'FOOD_SERVICES', worksiteSector: 'FOOD_SERVICES', start: '2020-03-13', end: '2020-08-14', hours: 600 }] },
      'NOT_ELIGIBLE',
      { 'pandemic-hours': 'NOT_MET' },
    ],
    [
      "a security firm's guard posted in a CHSLD: the worksite is health care, so the hours count",
      { ...aide, nocCode: '64410', sector: 'SECURITY', healthCareHours: null, employment: [{ provider: 'qc.mtess', employer: 'garda', employerSector: 'SECURITY', worksiteSector: 'HEALTH_CARE', start: '2020-04-01', end: '2020-06-30', hours: 300 }] },
      'ELIGIBLE',
      { 'pandemic-hours': 'MET' },
    ],
    [
      'the same guard posted in an office tower: not health care',
      { ...aide, nocCode: '64410', sector: 'SECURITY', healthCareHours: null, employment: [{ provider: 'qc.mtess', employer: 'garda', employerSector: 'SECURITY', worksiteSector: 'ADMINISTRATION', start: '2020-04-01', end: '2020-06-30', hours: 300 }] },
      'NOT_ELIGIBLE',
      { 'pandemic-hours': 'NOT_MET' },
    ],
    ['a withdrawn claim', { ...aide, claimStatus: 'WITHDRAWN' }, 'NOT_ELIGIBLE', { 'asylum-claimant': 'NOT_MET' }],
    ['hours withheld from this caller', { ...aide, healthCareHours: null, withheld: ['healthCareHours'] }, 'UNDETERMINED', { 'pandemic-hours': 'UNKNOWN' }],
    ['sector missing, hours too few: not eligible all the same', { ...aide, sector: undefined, healthCareHours: { hours: 10, periodStart: '2020-04-01', periodEnd: '2020-05-01' } }, 'NOT_ELIGIBLE', { 'pandemic-hours': 'NOT_MET' }],
  ];
  it.each(rows)('%s', (_name, view, outcome, results) => {
    const r = evaluateProgram(program('guardian-angels-2020'), view, AT);
    expect(r.outcome).toBe(outcome);
    for (const [name, result] of Object.entries(results)) expect(r.conditions.find((c) => c.name === name)?.result).toBe(result);
  });
});

describe('evaluateProgram: tr-to-pr-2021, health-care stream', () => {
  const temporaryNurse: ClaimantView = {
    claimStatus: null,
    nocCode: '31301',
    workPermitExpiry: '2022-05-01',
    healthCareHours: { hours: 1800, periodStart: '2019-06-01', periodEnd: '2021-04-30' },
  };
  const rows: Row[] = [
    ['an asylum claimant is excluded, whatever else', { ...temporaryNurse, claimStatus: 'PENDING' }, 'NOT_ELIGIBLE', { 'not-an-asylum-claimant': 'NOT_MET' }],
    ['an accepted refugee is excluded', { ...temporaryNurse, claimStatus: 'ACCEPTED' }, 'NOT_ELIGIBLE', { 'not-an-asylum-claimant': 'NOT_MET' }],
    ['a nurse on a work permit with no claim on file: claim status unknown', temporaryNurse, 'UNDETERMINED', { 'not-an-asylum-claimant': 'UNKNOWN' }],
    ['a former claimant who withdrew, with a valid permit', { ...temporaryNurse, claimStatus: 'WITHDRAWN' }, 'ELIGIBLE', {}],
    ['undocumented (permit expired before the program opened)', { ...temporaryNurse, claimStatus: 'WITHDRAWN', workPermitExpiry: '2021-05-05' }, 'NOT_ELIGIBLE', { 'temporary-resident-status': 'NOT_MET' }],
    ['a kitchen helper is not a health occupation', { ...temporaryNurse, claimStatus: 'WITHDRAWN', nocCode: '65201' }, 'NOT_ELIGIBLE', { 'health-occupation': 'NOT_MET' }],
    ['under a year of hours', { ...temporaryNurse, claimStatus: 'WITHDRAWN', healthCareHours: { hours: 1559, periodStart: '2019-06-01', periodEnd: '2021-04-30' } }, 'NOT_ELIGIBLE', { 'one-year-experience': 'NOT_MET' }],
  ];
  it.each(rows)('%s', (_name, view, outcome, results) => {
    const r = evaluateProgram(program('tr-to-pr-2021'), view, AT, findStream(program('tr-to-pr-2021'), 'health-care'));
    expect(r.outcome).toBe(outcome);
    for (const [name, result] of Object.entries(results)) expect(r.conditions.find((c) => c.name === name)?.result).toBe(result);
  });
});

describe('evaluateProgram: qc-health-asylum', () => {
  const rows: Row[] = [
    ['a patient care aide in Quebec with NCLC 6 and a valid permit', aide, 'ELIGIBLE', {}],
    ['NCLC 4 is below intermediate', { ...aide, frenchLevel: 4 }, 'NOT_ELIGIBLE', { 'intermediate-french': 'NOT_MET' }],
    ['NCLC 5 is intermediate', { ...aide, frenchLevel: 5 }, 'ELIGIBLE', {}],
    ['a permit expiring today is still valid today', { ...aide, workPermitExpiry: '2026-03-01' }, 'ELIGIBLE', {}],
    ['a permit that expired yesterday', { ...aide, workPermitExpiry: '2026-02-28' }, 'NOT_ELIGIBLE', { 'valid-work-permit': 'NOT_MET' }],
    ['living in Ontario', { ...aide, province: 'ON' }, 'NOT_ELIGIBLE', { 'in-quebec': 'NOT_MET' }],
    ['an accepted refugee is no longer a claimant', { ...aide, claimStatus: 'ACCEPTED' }, 'NOT_ELIGIBLE', { 'asylum-claimant': 'NOT_MET' }],
    ['a nurse (not a support position)', { ...aide, nocCode: '31301' }, 'NOT_ELIGIBLE', { 'support-position': 'NOT_MET' }],
    ['French level withheld (no agreement covers it for this caller)', { ...aide, frenchLevel: null, withheld: new Set(['frenchLevel']) }, 'UNDETERMINED', { 'intermediate-french': 'UNKNOWN' }],
    ['French level never supplied', { ...aide, frenchLevel: undefined }, 'UNDETERMINED', { 'intermediate-french': 'UNKNOWN' }],
    ['nothing visible at all', {}, 'UNDETERMINED', {}],
  ];
  it.each(rows)('%s', (_name, view, outcome, results) => {
    const r = evaluateProgram(program('qc-health-asylum'), view, AT);
    expect(r.outcome).toBe(outcome);
    for (const [name, result] of Object.entries(results)) expect(r.conditions.find((c) => c.name === name)?.result).toBe(result);
  });

  it('says why a condition is unknown: withheld, missing or indeterminate', () => {
    const r = evaluateProgram(program('qc-health-asylum'), { ...aide, frenchLevel: null, sector: undefined, withheld: ['frenchLevel'] }, AT);
    expect(r.conditions.find((c) => c.name === 'intermediate-french')).toMatchObject({ result: 'UNKNOWN', unknownReason: 'withheld', field: 'frenchLevel' });
    expect(r.conditions.find((c) => c.name === 'health-care-employer')).toMatchObject({ result: 'UNKNOWN', unknownReason: 'missing', field: 'sector' });
    const g = evaluateProgram(program('guardian-angels-2020'), { ...aide, healthCareHours: { hours: 500, periodStart: '2020-01-01', periodEnd: '2020-12-31' } }, AT);
    expect(g.conditions.find((c) => c.name === 'pandemic-hours')).toMatchObject({ result: 'UNKNOWN', unknownReason: 'indeterminate' });
  });

  it('reports every condition, in order, with the field it reads', () => {
    const r = evaluateProgram(program('qc-health-asylum'), aide, AT);
    expect(r.conditions.map((c) => [c.name, c.field])).toEqual([
      ['in-quebec', 'province'],
      ['asylum-claimant', 'claimStatus'],
      ['valid-work-permit', 'workPermitExpiry'],
      ['intermediate-french', 'frenchLevel'],
      ['health-care-employer', 'sector'],
      ['support-position', 'nocCode'],
    ]);
    expect(programFields(program('qc-health-asylum'))).toEqual(['claimStatus', 'frenchLevel', 'nocCode', 'province', 'sector', 'workPermitExpiry']);
  });
});

describe('programOpenOn', () => {
  it('is inclusive of both ends of capPeriod and always open without one', () => {
    const p = { capPeriod: findStream(program('tr-to-pr-2021'), 'health-care')!.window };
    expect(programOpenOn(p, new Date('2021-05-06T00:00:00Z'))).toBe(true);
    expect(programOpenOn(p, new Date('2021-11-05T23:59:59Z'))).toBe(true);
    expect(programOpenOn(p, new Date('2021-11-06T00:00:00Z'))).toBe(false);
    expect(programOpenOn(p, new Date('2021-05-05T23:59:59Z'))).toBe(false);
    expect(programOpenOn(program('guardian-angels-2020'), AT)).toBe(true);
  });
});

describe('evaluateProgram: properties', () => {
  const day = fc.integer({ min: 0, max: 3000 }).map((d) => new Date(Date.UTC(2019, 0, 1) + d * 86_400_000).toISOString().slice(0, 10));
  const hours = fc.tuple(fc.integer({ min: 0, max: 5000 }), day, day).map(([h, a, b]) => ({ hours: h, periodStart: a < b ? a : b, periodEnd: a < b ? b : a }));
  const view: fc.Arbitrary<ClaimantView> = fc.record({
    claimStatus: fc.option(fc.constantFrom(...CLAIM_STATUS_VALUES)),
    province: fc.option(fc.constantFrom(...PROVINCE_CODES)),
    workPermitExpiry: fc.option(day),
    nocCode: fc.option(fc.constantFrom('33102', '64410', '31301', '65201', '13110', '00010')),
    sector: fc.option(fc.constantFrom(...SECTOR_VALUES)),
    healthCareHours: fc.option(hours),
    frenchLevel: fc.option(fc.integer({ min: 1, max: 12 })),
  });
  const fields = ['claimStatus', 'province', 'workPermitExpiry', 'nocCode', 'sector', 'healthCareHours', 'frenchLevel'] as const;
  const at = day.map((d) => new Date(`${d}T10:00:00Z`));

  it('ELIGIBLE iff all MET; NOT_ELIGIBLE iff some NOT_MET; UNKNOWN only for unknown values or overlapping hours', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REFERENCE_PROGRAMS), view, at, (p, v, t) => {
        const r = evaluateProgram(p, v, t);
        const results = r.conditions.map((c) => c.result);
        expect(r.outcome === 'ELIGIBLE').toBe(results.every((x) => x === 'MET'));
        expect(r.outcome === 'NOT_ELIGIBLE').toBe(results.includes('NOT_MET'));
        for (const c of r.conditions) {
          if (c.result === 'UNKNOWN') expect(v[c.field] == null || c.unknownReason === 'indeterminate').toBe(true);
          if (v[c.field] == null) expect(c.result).toBe('UNKNOWN');
        }
      }),
    );
  });

  it('withholding fields never flips a decided outcome: it can only make it UNDETERMINED', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REFERENCE_PROGRAMS), view, fc.subarray([...fields]), at, (p, v, hidden, t) => {
        const full = evaluateProgram(p, v, t).outcome;
        const partial: ClaimantView = { ...v, withheld: hidden };
        for (const f of hidden) partial[f] = null;
        const seen = evaluateProgram(p, partial, t).outcome;
        if (seen !== 'UNDETERMINED') expect(seen).toBe(full);
      }),
    );
  });
});
