import fc from 'fast-check';
import type { Agreement } from '@passerelle/registry';
import type { DisclosureCandidate, Verdict } from '@passerelle/policy';
import { candidatesOf, checkFilter, fieldAccess, filteredFields, matchesFilter, mergeClaimant, readableProviders, type AccessMap } from './claimant-access';
import { CLAIMANT_FIELDS, type ClaimantValues, type ProviderRecord } from './claimant-fields';

const NOW = new Date('2026-06-15T12:00:00Z');
const agreement = (over: Partial<Agreement>): Agreement => ({
  id: 'dsa',
  provider: 'ca.ircc',
  consumer: 'ca.esdc',
  purposes: ['JOB_MATCHING'],
  fields: ['province'],
  validFrom: '2026-01-01',
  validTo: '2026-12-31',
  legalBasis: 'test',
  ...over,
});

describe('fieldAccess', () => {
  const cases: Array<[string, Agreement[], Record<string, string[]>, string]> = [
    ['no agreement at all', [], {}, 'no_agreement'],
    ['an agreement with another consumer', [agreement({ consumer: 'on.mltsd' })], {}, 'no_agreement'],
    ['an expired agreement', [agreement({ validTo: '2026-06-14' })], {}, 'agreement_not_in_force'],
    ['an agreement valid through today', [agreement({ validTo: '2026-06-15' })], { province: ['ca.ircc'] }, 'field_not_covered'],
    ['a future agreement', [agreement({ validFrom: '2026-06-16' })], {}, 'agreement_not_in_force'],
    ['an agreement for another purpose', [agreement({ purposes: ['RELOCATION'] })], {}, 'purpose_not_covered'],
    [
      'two providers, overlapping fields',
      [agreement({ id: 'a', fields: ['province', 'nocCode'] }), agreement({ id: 'b', provider: 'qc.mifi', fields: ['province', 'frenchLevel'] })],
      { province: ['ca.ircc', 'qc.mifi'], nocCode: ['ca.ircc'], frenchLevel: ['qc.mifi'] },
      'field_not_covered',
    ],
  ];
  it.each(cases)('%s', (_name, agreements, allowed, reasonForOthers) => {
    const access = fieldAccess(agreements, 'ca.esdc', 'JOB_MATCHING', NOW);
    for (const field of CLAIMANT_FIELDS) {
      expect(access[field].providers).toEqual(allowed[field] ?? []);
      expect(access[field].reason).toBe(allowed[field] ? 'ok' : reasonForOthers);
    }
    expect(readableProviders(access)).toEqual([...new Set(Object.values(allowed).flat())].sort());
  });
});

const S = 'i_AAAAAAAAAAAAAAAAAAAAAA';
const rec = (provider: string, minutes: number, values: ClaimantValues): ProviderRecord => ({ subject: S, provider, version: 1, suppliedAt: new Date(NOW.getTime() + minutes * 60_000), values });
const accessOf = (allowed: Partial<Record<string, string[]>>): AccessMap => {
  const out = {} as AccessMap;
  for (const f of CLAIMANT_FIELDS) out[f] = { providers: allowed[f] ?? [], reason: allowed[f] ? 'ok' : 'field_not_covered' };
  return out;
};
const permitAll = (): Verdict => ({ permit: true, reason: 'ok', agreementId: 'a' });

describe('mergeClaimant', () => {
  const ircc = rec('ca.ircc', 0, { province: 'QC', claimStatus: 'PENDING', nocCode: '33102' });
  const mifi = rec('qc.mifi', 10, { province: 'ON', frenchLevel: 6 });
  const msss = rec('qc.msss', 20, { province: 'BC', healthCareHours: { hours: 900, periodStart: '2020-03-13', periodEnd: '2020-12-31' } });

  type Case = [string, ProviderRecord[], Partial<Record<string, string[]>>, (c: DisclosureCandidate) => Verdict | undefined, ClaimantValues, Array<[string, string]>, Array<[string, string]>];
  const cases: Case[] = [
    ['the newest value wins among allowed providers', [ircc, mifi, msss], { province: ['ca.ircc', 'qc.mifi', 'qc.msss'] }, permitAll, { province: 'BC' }, [['province', 'qc.msss']], fieldsOtherThan(['province'])],
    ['a newer value from a provider without agreement is ignored', [ircc, mifi, msss], { province: ['ca.ircc', 'qc.mifi'] }, permitAll, { province: 'ON' }, [['province', 'qc.mifi']], fieldsOtherThan(['province'])],
    [
      'a refused newest value falls back to the next permitted one',
      [ircc, mifi],
      { province: ['ca.ircc', 'qc.mifi'] },
      (c) => (c.provider === 'qc.mifi' ? { permit: false, reason: 'consent_required', agreementId: 'b' } : permitAll()),
      { province: 'QC' },
      [['province', 'ca.ircc']],
      fieldsOtherThan(['province']),
    ],
    [
      'all refused: withheld with the reason of the newest',
      [ircc, mifi],
      { province: ['ca.ircc', 'qc.mifi'] },
      (c) => ({ permit: false, reason: c.provider === 'qc.mifi' ? 'consent_revoked' : 'consent_required', agreementId: '' }),
      {},
      [],
      [...fieldsOtherThan(['province']).slice(0, 2), ['province', 'consent_revoked'], ...fieldsOtherThan(['province']).slice(2)],
    ],
    ['no verdict means no disclosure', [ircc], { claimStatus: ['ca.ircc'] }, () => undefined, {}, [], withReason(fieldsOtherThan([]), { claimStatus: 'no_agreement' })],
    ['an allowed field without value is null, not withheld', [mifi], { province: ['qc.mifi'], nocCode: ['qc.mifi'] }, permitAll, { province: 'ON' }, [['province', 'qc.mifi']], fieldsOtherThan(['province', 'nocCode'])],
    [
      'health-care hours travel with their period',
      [msss],
      { healthCareHours: ['qc.msss'] },
      permitAll,
      { healthCareHours: { hours: 900, periodStart: '2020-03-13', periodEnd: '2020-12-31' } },
      [['healthCareHours', 'qc.msss']],
      fieldsOtherThan(['healthCareHours']),
    ],
  ];

  it.each(cases)('%s', (_name, records, allowed, verdict, values, provenance, withheld) => {
    const m = mergeClaimant(S, records, accessOf(allowed), verdict);
    expect(m.values).toEqual(values);
    expect(m.provenance.map((p) => [p.field, p.provider])).toEqual(provenance);
    expect(m.withheld.map((w) => [w.field, w.reason])).toEqual(withheld);
  });

  it('breaks ties on supply time by provider id', () => {
    const a = rec('qc.mifi', 0, { province: 'ON' });
    const b = rec('ca.ircc', 0, { province: 'QC' });
    expect(mergeClaimant(S, [a, b], accessOf({ province: ['ca.ircc', 'qc.mifi'] }), permitAll).values.province).toBe('QC');
  });

  it('always discloses a value some permitted provider supplied, and the newest such (property)', () => {
    const providers = ['p1', 'p2', 'p3'];
    const records = fc.uniqueArray(fc.record({ provider: fc.constantFrom(...providers), minutes: fc.integer({ min: 0, max: 5 }), level: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }) }), { selector: (r) => r.provider });
    fc.assert(
      fc.property(records, fc.subarray(providers), fc.subarray(providers), (rs, allowed, permitted) => {
        const recs = rs.map((r) => rec(r.provider, r.minutes, r.level === undefined ? {} : { frenchLevel: r.level }));
        const m = mergeClaimant(S, recs, accessOf({ frenchLevel: allowed }), (c) => ({ permit: permitted.includes(c.provider), reason: permitted.includes(c.provider) ? 'ok' : 'consent_required', agreementId: '' }));
        const eligible = recs.filter((r) => r.values.frenchLevel !== undefined && allowed.includes(r.provider) && permitted.includes(r.provider));
        if (eligible.length === 0) expect(m.values.frenchLevel).toBeUndefined();
        else {
          const newest = Math.max(...eligible.map((r) => r.suppliedAt.getTime()));
          const winner = m.provenance.find((p) => p.field === 'frenchLevel')!;
          expect(winner.suppliedAt.getTime()).toBe(newest);
          expect(eligible.find((r) => r.provider === winner.provider)!.values.frenchLevel).toBe(m.values.frenchLevel);
        }
        // every field is either disclosed, withheld, or without any allowed value: never two of these
        const disclosed = new Set(m.provenance.map((p) => p.field));
        for (const w of m.withheld) expect(disclosed.has(w.field)).toBe(false);
      }),
    );
  });

  it('asks Decide only about allowed providers that hold a value', () => {
    const cands = candidatesOf([ircc, mifi], accessOf({ province: ['qc.mifi'], nocCode: ['ca.ircc'], frenchLevel: ['ca.ircc'] }));
    expect(cands).toEqual([
      { subject: S, field: 'nocCode', provider: 'ca.ircc' },
      { subject: S, field: 'province', provider: 'qc.mifi' },
    ]);
  });
});

function fieldsOtherThan(allowed: string[]): Array<[string, string]> {
  return CLAIMANT_FIELDS.filter((f) => !allowed.includes(f)).map((f) => [f, 'field_not_covered']);
}
function withReason(list: Array<[string, string]>, override: Record<string, string>): Array<[string, string]> {
  return CLAIMANT_FIELDS.map((f) => [f, override[f] ?? list.find(([g]) => g === f)?.[1] ?? 'field_not_covered'] as [string, string]).filter(([f]) => f in override || list.some(([g]) => g === f));
}

describe('filters', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['unknown province', { province: 'XX' }, 'filter.province must be one of'],
    ['empty status set', { claimStatus: [] }, 'filter.claimStatus must list 1 to 100 values'],
    ['bad status', { claimStatus: ['PENDING', 'NOPE'] }, 'filter.claimStatus values must each be one of'],
    ['bad NOC', { nocCode: ['1234'] }, 'filter.nocCode values must each be a NOC 2021 code of 5 digits'],
    ['bad date', { workPermitValidOn: '2026-13-01' }, 'filter.workPermitValidOn must be a date written YYYY-MM-DD'],
    ['French level out of scale', { frenchLevelAtLeast: 0 }, 'filter.frenchLevelAtLeast must be a whole NCLC level from 1 to 12'],
    ['negative hours', { healthCareHoursAtLeast: -5 }, 'filter.healthCareHoursAtLeast must be a whole number of hours, 0 or more'],
    ['bad sector', { sector: 'x' }, 'filter.sector must be one of'],
  ];
  it.each(cases)('refuses %s', (_n, raw, reason) => {
    const r = checkFilter(raw as never);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it('names the fields a filter reads', () => {
    const r = checkFilter({ province: 'QC', workPermitValidOn: '2026-07-01', healthCareHoursAtLeast: 500 });
    expect(r.ok && filteredFields(r.filter)).toEqual(['province', 'workPermitExpiry', 'healthCareHours']);
  });

  const v: ClaimantValues = { province: 'QC', claimStatus: 'APPEAL_PENDING', nocCode: '33102', sector: 'HEALTH_CARE', workPermitExpiry: '2026-12-31', frenchLevel: 6, healthCareHours: { hours: 750, periodStart: '2020-03-13', periodEnd: '2020-12-31' } };
  const matchCases: Array<[Record<string, unknown>, ClaimantValues, boolean]> = [
    [{}, {}, true],
    [{ province: 'QC' }, v, true],
    [{ province: 'ON' }, v, false],
    [{ province: 'QC' }, {}, false],
    [{ claimStatus: ['REJECTED', 'APPEAL_PENDING'] }, v, true],
    [{ claimStatus: ['REJECTED'] }, v, false],
    [{ nocCode: ['33102', '64410'] }, v, true],
    [{ sector: 'SECURITY' }, v, false],
    [{ workPermitValidOn: '2026-12-31' }, v, true],
    [{ workPermitValidOn: '2027-01-01' }, v, false],
    [{ frenchLevelAtLeast: 6 }, v, true],
    [{ frenchLevelAtLeast: 7 }, v, false],
    [{ healthCareHoursAtLeast: 750 }, v, true],
    [{ healthCareHoursAtLeast: 751 }, v, false],
    [{ healthCareHoursAtLeast: 0 }, {}, false],
  ];
  it.each(matchCases.map(([f, values, expected], i) => [`${JSON.stringify(f)} on record ${i}`, f, values, expected] as const))('filter %s → %s', (_name, filter, values, expected) => {
    expect(matchesFilter(values, filter as never)).toBe(expected);
  });
});
