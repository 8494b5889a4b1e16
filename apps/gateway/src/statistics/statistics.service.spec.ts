import type { Agreement } from '@passerelle/registry';
import type { GroupCount, StatDimension } from '@passerelle/policy';
import { recordingNote } from '../disclosure/disclosure-note';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { StatisticsService } from './statistics.service';
import type { DimensionProviders, StatisticsRepository } from './statistics.repository';

const caller: VerifiedCaller = { agency: 'ca.ircc', kid: 'k', jti: 'j', purpose: 'STATISTICS', exp: 0 };
const stats = (provider: string, fields: string[]): Agreement => ({ id: `dsa-${provider}`, provider, consumer: 'ca.ircc', purposes: ['STATISTICS'], fields, validFrom: '2020-01-01', validTo: '2099-12-31', legalBasis: 't' }) as Agreement;

function service(agreements: Agreement[], consentRequired = false) {
  const asked: Array<{ groupBy: StatDimension; by: StatDimension | null; providers: DimensionProviders }> = [];
  const repository = { counts: async (groupBy: StatDimension, by: StatDimension | null, providers: DimensionProviders): Promise<GroupCount[]> => (asked.push({ groupBy, by, providers }), []) };
  const registry = { current: () => ({ agreementsFor: () => agreements, consentRequired: () => consentRequired }) };
  return { svc: new StatisticsService(repository as unknown as StatisticsRepository, registry as never), asked };
}

describe('statistics: agreements gate each dimension by its field', () => {
  it('asks each dimension of the providers whose agreement names its field only', async () => {
    const { svc, asked } = service([stats('qc.msss', ['province', 'claimStatus']), stats('qc.mifi', ['province'])]);
    const note = recordingNote();
    await svc.statistics(note, caller, 'claimStatus', { dimension: 'province', value: 'QC' });
    expect(asked).toEqual([{ groupBy: 'claimStatus', by: 'province', providers: { groupBy: ['qc.msss'], by: ['qc.mifi', 'qc.msss'] } }]);
    expect([...note.fields].sort()).toEqual(['claimStatus', 'province']);
  });

  it.each([
    ['sector', null, 'sector'],
    ['frenchBand', null, 'frenchLevel'],
    ['province', { dimension: 'sector', value: 'HEALTH_CARE' }, 'sector'],
  ] as const)('refuses %s (filter %j): no agreement names %s', async (groupBy, filter, field) => {
    const { svc, asked } = service([stats('qc.msss', ['province', 'claimStatus'])]);
    await expect(svc.statistics(recordingNote(), caller, groupBy, filter)).rejects.toMatchObject({ code: 'NO_AGREEMENT', message: expect.stringContaining(`names the field ${field}`) });
    expect(asked).toEqual([]);
  });

  it('fails closed when the registry makes STATISTICS a consent purpose', async () => {
    const { svc, asked } = service([stats('qc.msss', ['province'])], true);
    await expect(svc.statistics(recordingNote(), caller, 'province', null)).rejects.toMatchObject({ code: 'CONSENT_REQUIRED' });
    expect(asked).toEqual([]);
  });
});
