import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Caller, Requires } from '../auth';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { Disclosures, type DisclosureNote } from '../disclosure';
import { ClaimantsService } from './claimants.service';
import { ClaimantFilterInput, ClaimantInput } from './dto/claimant-input';
import { Claimant, ClaimantPage, SubmitClaimantsResult } from './dto/claimant-types';

const READ_PURPOSES = ['JOB_MATCHING', 'RELOCATION', 'PROGRAM_ELIGIBILITY'] as const;

/** Thin: decorators, then one call into ClaimantsService. */
@Resolver(() => Claimant)
export class ClaimantsResolver {
  constructor(private readonly service: ClaimantsService) {}

  @Mutation(() => SubmitClaimantsResult, {
    description: 'Providers supply claimant records (1 to 10,000 per call). Bad records are refused by index; good ones are stored together.',
  })
  @Requires({ role: 'PROVIDER', purposes: ['PROVISION'] })
  submitClaimants(
    @Args('records', { type: () => [ClaimantInput] }) records: ClaimantInput[],
    @Caller() caller: VerifiedCaller,
    @Disclosures() note: DisclosureNote,
  ): Promise<SubmitClaimantsResult> {
    return this.service.submit(note, caller, records);
  }

  @Query(() => Claimant, { description: "One claimant by the caller's own pseudonym; fields the caller may not receive are null and listed in `withheld`." })
  @Requires({ role: 'CONSUMER', purposes: [...READ_PURPOSES] })
  claimant(@Args('pseudonym', { type: () => String }) pseudonym: string, @Caller() caller: VerifiedCaller, @Disclosures() note: DisclosureNote): Promise<Claimant> {
    return this.service.claimant(note, caller, pseudonym);
  }

  @Query(() => ClaimantPage, { description: 'Claimants matching a filter, a page at a time (first ≤ 500, cursor in `after`).' })
  @Requires({ role: 'CONSUMER', purposes: [...READ_PURPOSES] })
  claimants(
    @Args('filter', { type: () => ClaimantFilterInput, nullable: true }) filter: ClaimantFilterInput | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
    @Caller() caller: VerifiedCaller,
    @Disclosures() note: DisclosureNote,
  ): Promise<ClaimantPage> {
    return this.service.claimants(note, caller, filter, first, after);
  }
}
