import type { Agreement } from '@passerelle/registry';
import { provisionBasis } from './provision-basis';

const agreement = (id: string, provider: string, fields: string[], validTo = '2099-12-31'): Agreement =>
  ({ id, provider, consumer: 'ca.esdc', purposes: ['JOB_MATCHING'], fields, validFrom: '2020-01-01', validTo, legalBasis: `basis of ${id}` }) as Agreement;

const AT = new Date('2026-06-01T12:00:00Z');
const V = 'a'.repeat(64);

describe('provisionBasis', () => {
  const all = [
    agreement('mifi-jobs', 'qc.mifi', ['province', 'frenchLevel']),
    agreement('mifi-old', 'qc.mifi', ['province'], '2025-12-31'),
    agreement('mifi-noc', 'qc.mifi', ['nocCode']),
    agreement('ircc-jobs', 'ca.ircc', ['province', 'claimStatus']),
  ];

  it('names the agreements in force from this provider that cover a supplied field, with their legal basis and the registry version', () => {
    expect(provisionBasis(all, 'qc.mifi', ['frenchLevel'], AT, V)).toEqual([{ permit: true, agreementId: 'mifi-jobs', legalBasis: 'basis of mifi-jobs', registryVersion: V }]);
    expect(provisionBasis(all, 'qc.mifi', ['province', 'nocCode'], AT, V).map((v) => v.agreementId)).toEqual(['mifi-jobs', 'mifi-noc']);
  });

  it("never names another provider's agreement, one out of force, or one covering none of the fields", () => {
    expect(provisionBasis(all, 'qc.mifi', ['claimStatus'], AT, V)).toEqual([]);
    expect(provisionBasis(all, 'ca.ircc', ['frenchLevel'], AT, V)).toEqual([]);
    expect(provisionBasis(all, 'qc.mifi', ['province'], new Date('2030-01-01T00:00:00Z'), V).map((v) => v.agreementId)).toEqual(['mifi-jobs']);
    expect(provisionBasis(all, 'qc.mifi', [], AT, V)).toEqual([]);
  });
});
