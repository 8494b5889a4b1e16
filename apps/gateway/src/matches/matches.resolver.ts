import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Caller, Requires } from '../auth';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { Disclosures, type DisclosureNote } from '../disclosure';
import { JobMatch, JobMatchFilterInput, JobMatchPage, ReceivedReferralPage, RelocationReferral } from './dto/job-match.types';
import { MatchesService } from './matches.service';

/** Thin: decorators, then one call into MatchesService. */
@Resolver(() => JobMatch)
export class MatchesResolver {
  constructor(private readonly service: MatchesService) {}

  @Query(() => JobMatchPage, { description: "Job-bank matches of claimants, by the caller's own pseudonyms, newest first (first ≤ 500, cursor in `after`). Only matches the claimant consented to share with the caller, under an agreement from the publisher, are listed." })
  @Requires({ role: 'CONSUMER', purposes: ['JOB_MATCHING'] })
  jobMatches(
    @Args('filter', { type: () => JobMatchFilterInput, nullable: true }) filter: JobMatchFilterInput | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
    @Caller() caller: VerifiedCaller,
    @Disclosures() note: DisclosureNote,
  ): Promise<JobMatchPage> {
    return this.service.jobMatches(note, caller, filter, first, after);
  }

  @Mutation(() => RelocationReferral, { description: 'Refers a claimant with a job match to another agency for relocation (needs an agreement with it for RELOCATION and the claimant consent). Repeating it returns the same referral.' })
  @Requires({ role: 'CONSUMER', purposes: ['RELOCATION'] })
  referRelocation(
    @Args('pseudonym', { type: () => String }) pseudonym: string,
    @Args('toAgency', { type: () => String }) toAgency: string,
    @Args('jobMatchId', { type: () => ID }) jobMatchId: string,
    @Caller() caller: VerifiedCaller,
    @Disclosures() note: DisclosureNote,
  ): Promise<RelocationReferral> {
    return this.service.referRelocation(note, caller, pseudonym, toAgency, jobMatchId);
  }

  @Query(() => ReceivedReferralPage, { description: 'Relocation referrals received by the calling agency, newest first, with the fields its agreement and the claimant consent allow now.' })
  @Requires({ role: 'CONSUMER', purposes: ['RELOCATION'] })
  referrals(
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
    @Caller() caller: VerifiedCaller,
    @Disclosures() note: DisclosureNote,
  ): Promise<ReceivedReferralPage> {
    return this.service.referrals(note, caller, first, after);
  }
}
