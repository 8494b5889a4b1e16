import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Caller, Requires } from '../auth';
import { Disclosures, type DisclosureNote } from '../disclosure';
import { CandidatesService } from './candidates.service';
import { RelocationCandidates } from './dto/candidates.types';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { RelocationOffer, RelocationOfferFilterInput, RelocationOfferInput } from './dto/offer.types';
import { OffersService } from './offers.service';

/** Thin: decorators, then one call into OffersService. */
@Resolver(() => RelocationOffer)
export class OffersResolver {
  constructor(
    private readonly service: OffersService,
    private readonly candidates: CandidatesService,
  ) {}

  @Mutation(() => RelocationOffer, { description: 'A receiving province (RECEIVER role) publishes a relocation offer for claimants who would settle there.' })
  @Requires({ role: 'RECEIVER', purposes: ['RELOCATION'] })
  publishRelocationOffer(@Args('input', { type: () => RelocationOfferInput }) input: RelocationOfferInput, @Caller() caller: VerifiedCaller): Promise<RelocationOffer> {
    return this.service.publish(caller, input);
  }

  @Mutation(() => RelocationOffer, { description: "Amends one of the caller's open offers at the version read (CONFLICT when it moved on or was withdrawn)." })
  @Requires({ role: 'RECEIVER', purposes: ['RELOCATION'] })
  amendRelocationOffer(
    @Args('id', { type: () => ID }) id: string,
    @Args('version', { type: () => Int }) version: number,
    @Args('input', { type: () => RelocationOfferInput }) input: RelocationOfferInput,
    @Caller() caller: VerifiedCaller,
  ): Promise<RelocationOffer> {
    return this.service.amend(caller, id, version, input);
  }

  @Mutation(() => RelocationOffer, { description: "Withdraws one of the caller's open offers (CONFLICT when already withdrawn)." })
  @Requires({ role: 'RECEIVER', purposes: ['RELOCATION'] })
  withdrawRelocationOffer(@Args('id', { type: () => ID }) id: string, @Caller() caller: VerifiedCaller): Promise<RelocationOffer> {
    return this.service.withdraw(caller, id);
  }

  @Query(() => [RelocationOffer], { description: 'Relocation offers of the provinces the caller may refer claimants to (a RELOCATION agreement in force from the caller to them), and its own; newest first, at most 500.' })
  @Requires({ role: ['PROVIDER', 'CONSUMER', 'RECEIVER'], purposes: ['RELOCATION'] })
  relocationOffers(@Args('filter', { type: () => RelocationOfferFilterInput, nullable: true }) filter: RelocationOfferFilterInput | null, @Caller() caller: VerifiedCaller): Promise<RelocationOffer[]> {
    return this.service.list(caller, filter);
  }

  @Query(() => RelocationCandidates, { description: "For the offering province: a protected count (suppressed from 1 to 9) of claimants with a job match in its province for one of the offer's occupations whose data it may see under agreement and consent, and its own pseudonyms of those whose willingness to relocate names it." })
  @Requires({ role: 'RECEIVER', purposes: ['RELOCATION'] })
  relocationCandidates(@Args('offer', { type: () => ID }) offer: string, @Caller() caller: VerifiedCaller, @Disclosures() note: DisclosureNote): Promise<RelocationCandidates> {
    return this.candidates.forOffer(note, caller, offer);
  }
}
