import { Inject, Injectable } from '@nestjs/common';
import { protectedOneWay, protectedSlice, statisticsQueryProblem, type StatDimension, type StatisticsFilter } from '@passerelle/policy';
import { RegistryHolder } from '@passerelle/registry';
import { BadUserInput, ConsentRequired, NoAgreement } from '../errors';
import type { VerifiedCaller } from '../exchange/exchange-context';
import type { DisclosureNote } from '../disclosure/disclosure-note';
import type { Statistics, StatisticsDimensionEnum, StatisticsFilterDimensionEnum } from './dto/statistics-types';
import { StatisticsRepository } from './statistics.repository';

/** The claimant field behind each dimension (what the ledger entry names). */
const FIELD: Record<StatDimension, string> = {
  province: 'province',
  claimStatus: 'claimStatus',
  nocCode: 'nocCode',
  sector: 'sector',
  frenchBand: 'frenchLevel',
};

/**
 * Aggregate counts under STATISTICS agreements (provider → caller, purpose STATISTICS, in force),
 * field by field: a dimension is computed only from providers whose agreement names its field,
 * and a query on a field no such agreement names is refused. Protected by the pure functions of
 * @passerelle/policy/statistics before they leave.
 */
@Injectable()
export class StatisticsService {
  constructor(
    private readonly repository: StatisticsRepository,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
  ) {}

  async statistics(note: DisclosureNote, caller: VerifiedCaller, groupBy: string, filter: StatisticsFilter | null | undefined): Promise<Statistics> {
    const problem = statisticsQueryProblem(groupBy, filter);
    if (problem) throw new BadUserInput(problem);
    const dimension = groupBy as StatDimension;
    if (this.registry.current().consentRequired('STATISTICS')) {
      // Counts cover the whole population; they cannot leave out claimants one by one, so when the
      // registry makes STATISTICS a consent purpose none are published (fail closed).
      throw new ConsentRequired('this registry requires each claimant’s consent for STATISTICS, which population counts cannot honour: no statistics are published');
    }
    const agreements = this.registry.current().agreementsFor({ consumer: caller.agency, purpose: 'STATISTICS', at: new Date() });
    if (agreements.length === 0) throw new NoAgreement(`no agreement in force gives ${caller.agency} statistics (purpose STATISTICS) from any provider`);
    const naming = (d: StatDimension) => {
      const providers = [...new Set(agreements.filter((a) => (a.fields as readonly string[]).includes(FIELD[d])).map((a) => a.provider))].sort();
      if (providers.length === 0) {
        throw new NoAgreement(`cannot count by ${d}: no STATISTICS agreement in force to ${caller.agency} names the field ${FIELD[d]}`);
      }
      return providers;
    };
    const providers = { groupBy: naming(dimension), by: filter ? naming(filter.dimension) : undefined };

    const counts = await this.repository.counts(dimension, filter ? filter.dimension : null, providers);
    const answer = filter ? protectedSlice(dimension, filter, counts) : protectedOneWay(counts);
    note.disclosed([], filter ? [FIELD[dimension], FIELD[filter.dimension]] : [FIELD[dimension]]);
    // No Decide here (no consent): the STATISTICS agreements used are the entry's legal basis.
    const counted: string[] = filter ? [FIELD[dimension], FIELD[filter.dimension]] : [FIELD[dimension]];
    const registryVersion = this.registry.current().version;
    note.relied(agreements.filter((a) => counted.some((f) => (a.fields as readonly string[]).includes(f))).map((a) => ({ permit: true, agreementId: a.id, legalBasis: a.legalBasis, registryVersion })));
    return {
      groupBy: dimension as StatisticsDimensionEnum,
      filterDimension: (filter?.dimension ?? null) as StatisticsFilterDimensionEnum | null,
      filterValue: filter?.value ?? null,
      ...answer,
    };
  }
}
