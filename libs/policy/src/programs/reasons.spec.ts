import { decidingReasons, type FieldSituation } from './reasons';
import type { ProgramEvaluation } from './program.types';

const evaluation: ProgramEvaluation = {
  program: 'p',
  outcome: 'NOT_ELIGIBLE',
  conditions: [
    { name: 'in-quebec', kind: 'provinceIn', field: 'province', result: 'MET' },
    { name: 'french', kind: 'frenchLevelAtLeast', field: 'frenchLevel', result: 'UNKNOWN', unknownReason: 'withheld' },
    { name: 'hours', kind: 'hoursAtLeast', field: 'healthCareHours', result: 'UNKNOWN', unknownReason: 'withheld' },
    { name: 'permit', kind: 'permitValidOn', field: 'workPermitExpiry', result: 'UNKNOWN', unknownReason: 'missing' },
    { name: 'status', kind: 'claimStatusIn', field: 'claimStatus', result: 'NOT_MET' },
    { name: 'pandemic', kind: 'hoursAtLeast', field: 'healthCareHours', result: 'UNKNOWN', unknownReason: 'indeterminate' },
  ],
};
const none: FieldSituation = { covering: [], consentMissingFrom: [], knownSuppliers: [] };
const situations: Record<string, FieldSituation> = {
  province: { ...none, covering: ['qc.msss'], usedFrom: 'qc.msss' },
  frenchLevel: { ...none, knownSuppliers: ['qc.mifi'], agreementReason: 'field_not_covered' },
  healthCareHours: { ...none, covering: ['ca.irb', 'qc.msss'], consentMissingFrom: ['ca.irb'], usedFrom: null },
  workPermitExpiry: { ...none, covering: ['ca.ircc'] },
  claimStatus: { ...none, covering: ['qc.msss'], usedFrom: 'qc.msss' },
};

describe('decidingReasons', () => {
  const reasons = decidingReasons(evaluation, situations, { agency: 'ca.ircc', purpose: 'PROGRAM_ELIGIBILITY' });
  const of = (c: string) => reasons.find((r) => r.condition === c)!;

  it('names nothing for a MET condition, and one reason for every other, in order', () => {
    expect(reasons.map((r) => r.condition)).toEqual(['french', 'hours', 'permit', 'status', 'pandemic']);
  });

  it('AGREEMENT: no agreement gives the field; names who supplies it', () => {
    expect(of('french')).toMatchObject({ field: 'frenchLevel', missing: 'AGREEMENT', providers: ['qc.mifi'] });
    expect(of('french').action).toContain('(field_not_covered)');
  });

  it("CONSENT: a provider holds it; names that provider and the claimant's consent for the purpose to the caller", () => {
    expect(of('hours')).toMatchObject({ missing: 'CONSENT', providers: ['ca.irb'] });
    expect(of('hours').action).toContain('consent for PROGRAM_ELIGIBILITY to ca.ircc');
  });

  it('DATA: no provider the caller may read holds it, or the period cannot decide; NONE: a value that does not meet it', () => {
    expect(of('permit')).toMatchObject({ missing: 'DATA', providers: ['ca.ircc'] });
    expect(of('pandemic')).toMatchObject({ missing: 'DATA', providers: ['ca.irb', 'qc.msss'] });
    expect(of('status')).toMatchObject({ missing: 'NONE', providers: ['qc.msss'] });
  });
});
