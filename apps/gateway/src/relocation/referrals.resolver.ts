import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Caller, Requires } from '../auth';
import { Disclosures, type DisclosureNote } from '../disclosure';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { MadeReferral, ReferralTransition } from './dto/referral.types';
import { ReferralsService } from './referrals.service';

/** Thin: decorators, then one call into ReferralsService. */
@Resolver(() => ReferralTransition)
export class ReferralsResolver {
  constructor(private readonly service: ReferralsService) {}

  @Mutation(() => ReferralTransition, {
    description:
      'Moves a relocation referral: REFERRED → CONTACTED (receiving province) → ACCEPTED | DECLINED (referring agency, DECLINED with a reason) ; ACCEPTED → RELOCATED (receiving province) → EMPLOYED (ESDC). WITHDRAWN happens only when the claimant\'s willingness ends. FORBIDDEN (wrong party), CONFLICT (illegal or replayed move), CONSENT_REQUIRED (willingness ended: the referral is withdrawn).',
  })
  @Requires({ role: ['CONSUMER', 'RECEIVER', 'PUBLISHER'], purposes: ['RELOCATION'] })
  moveReferral(
    @Args('referral', { type: () => ID }) referral: string,
    @Args('status', { type: () => String }) status: string,
    @Args('reason', { type: () => String, nullable: true }) reason: string | null,
    @Caller() caller: VerifiedCaller,
    @Disclosures() note: DisclosureNote,
  ): Promise<ReferralTransition> {
    return this.service.move(note, caller, referral, status, reason);
  }

  @Query(() => [MadeReferral], { description: 'Referrals the calling agency made since a day or instant, newest first (at most 500), with their status now.' })
  @Requires({ role: ['CONSUMER'], purposes: ['RELOCATION'] })
  referralsMade(@Args('since', { type: () => String }) since: string, @Caller() caller: VerifiedCaller): Promise<MadeReferral[]> {
    return this.service.made(caller, since);
  }
}
