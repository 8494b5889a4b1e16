import { Args, Query, Resolver } from '@nestjs/graphql';
import { Caller, Requires } from '../auth';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { OutcomeDimensionEnum, RelocationOutcomes } from './dto/outcomes.types';
import { OutcomesService } from './outcomes.service';

/** Thin: decorators, then one call into OutcomesService. */
@Resolver(() => RelocationOutcomes)
export class OutcomesResolver {
  constructor(private readonly service: OutcomesService) {}

  @Query(() => RelocationOutcomes, {
    description:
      'What relocation produced in a calendar quarter (YYYY-Qn): offers, and referrals made with their acceptances, moves and jobs, grouped by up to two of fromProvince, toProvince, noc, status; counts 1–9 and their complements suppressed as in statistics. For parties to a RELOCATION agreement in force: a federal agency sees every row, a province the rows from or to it. NO_AGREEMENT otherwise.',
  })
  @Requires({ role: ['CONSUMER', 'PROVIDER', 'RECEIVER', 'PUBLISHER'], purposes: ['RELOCATION'] })
  relocationOutcomes(
    @Args('period', { type: () => String }) period: string,
    @Args('groupBy', { type: () => [OutcomeDimensionEnum], nullable: true }) groupBy: OutcomeDimensionEnum[] | null,
    @Caller() caller: VerifiedCaller,
  ): Promise<RelocationOutcomes> {
    return this.service.outcomes(caller, period, groupBy);
  }
}
