import { Args, Query, Resolver } from '@nestjs/graphql';
import { Caller, Requires } from '../auth';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { Disclosures, type DisclosureNote } from '../disclosure/disclosure-note';
import { Statistics, StatisticsDimensionEnum, StatisticsFilterInput } from './dto/statistics-types';
import { StatisticsService } from './statistics.service';

/** Thin: decorators, then one call into StatisticsService. */
@Resolver(() => Statistics)
export class StatisticsResolver {
  constructor(private readonly service: StatisticsService) {}

  @Query(() => Statistics, { description: 'Counts of claimants grouped by one dimension, optionally filtered on one coarse dimension; small cells suppressed.' })
  @Requires({ role: ['CONSUMER', 'PROVIDER'], purposes: ['STATISTICS'] })
  statistics(
    @Args('groupBy', { type: () => StatisticsDimensionEnum }) groupBy: StatisticsDimensionEnum,
    @Args('filter', { type: () => StatisticsFilterInput, nullable: true }) filter: StatisticsFilterInput | null,
    @Caller() caller: VerifiedCaller,
    @Disclosures() note: DisclosureNote,
  ): Promise<Statistics> {
    return this.service.statistics(note, caller, groupBy, filter);
  }
}
