import { Registry, type RegistryDocument } from '@passerelle/registry';
import { ingestBasis, refusalBasis } from './ingest-basis';

const agreement = (id: string, consumer: string, purposes: string[], validTo = '2099-12-31') => ({ id, provider: 'qc.mifi', consumer, purposes, fields: ['province'], validFrom: '2020-01-01', validTo, legalBasis: `basis of ${id}` });
const document = {
  gatewayId: 'g',
  agencies: [],
  programs: [],
  agreements: [agreement('b-jobs', 'ca.esdc', ['JOB_MATCHING']), agreement('a-jobs', 'ca.esdc', ['JOB_MATCHING']), agreement('old', 'ca.esdc', ['JOB_MATCHING'], '2021-01-01'), agreement('stats', 'ca.esdc', ['STATISTICS']), agreement('other', 'on.mltsd', ['JOB_MATCHING'])],
} as unknown as RegistryDocument;
const registry = new Registry(document, 'f'.repeat(64));
const AT = new Date('2026-06-01T00:00:00Z');

describe('the legal basis of a stored job match', () => {
  it("names the publisher's JOB_MATCHING agreements in force, their legal bases, the consents relied on and the registry version", () => {
    expect(ingestBasis(registry, 'ca.esdc', ['c2', 'c1', 'c2'], AT)).toEqual({
      agreements: ['a-jobs', 'b-jobs'],
      legalBasis: ['basis of a-jobs', 'basis of b-jobs'],
      consents: ['c1', 'c2'],
      programVersion: '',
      registryVersion: 'f'.repeat(64),
      rule: '',
    });
  });

  it("never names another agency's agreement, another purpose's or one out of force; a refusal names only the registry version", () => {
    expect(ingestBasis(registry, 'qc.mifi', [], AT).agreements).toEqual([]);
    expect(ingestBasis(registry, 'ca.esdc', [], new Date('2100-01-01T00:00:00Z')).agreements).toEqual([]);
    expect(refusalBasis(registry)).toEqual({ agreements: [], legalBasis: [], consents: [], programVersion: '', registryVersion: 'f'.repeat(64), rule: '' });
  });
});
