import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Caller, Requires } from '../auth';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { Disclosures, type DisclosureNote } from '../disclosure';
import { Eligibility, EligibleNotApplied, EmptySpotDimensionEnum, ProgramApplication, ProgramUptake, ProgramWithdrawal, RuleChangeInput, RuleSimulation, UptakeDimensionEnum } from './dto/program-types';
import { ProgramsService } from './programs.service';

/** Thin: decorators, then one call into ProgramsService. */
@Resolver(() => Eligibility)
export class ProgramsResolver {
  constructor(private readonly service: ProgramsService) {}

  @Query(() => Eligibility, { description: "A program's conditions evaluated on what the caller may see of one claimant (by the caller's own pseudonym)." })
  @Requires({ role: 'CONSUMER', purposes: ['PROGRAM_ELIGIBILITY'] })
  eligibility(
    @Args('program', { type: () => String }) program: string,
    @Args('pseudonym', { type: () => String }) pseudonym: string,
    @Args('stream', { type: () => String, nullable: true, description: "Which stream's conditions; default: the program's first" }) stream: string | null,
    @Caller() caller: VerifiedCaller,
    @Disclosures() note: DisclosureNote,
  ): Promise<Eligibility> {
    return this.service.eligibility(note, caller, program, pseudonym, stream);
  }

  @Mutation(() => ProgramApplication, {
    description:
      'Applies for a claimant to a program stream (once per program): APPLIED when a place is free this programme year, WAITLISTED when full and the program keeps a waitlist; otherwise CONFLICT with extensions.reason CAP_REACHED or ALREADY_APPLIED.',
  })
  @Requires({ role: 'CONSUMER', purposes: ['PROGRAM_ELIGIBILITY'] })
  applyToProgram(
    @Args('program', { type: () => String }) program: string,
    @Args('pseudonym', { type: () => String }) pseudonym: string,
    @Args('stream', { type: () => String, nullable: true, description: 'Required when the program has several streams' }) stream: string | null,
    @Caller() caller: VerifiedCaller,
    @Disclosures() note: DisclosureNote,
  ): Promise<ProgramApplication> {
    return this.service.apply(note, caller, program, pseudonym, stream);
  }

  @Mutation(() => ProgramWithdrawal, { description: 'Withdraws the application the calling agency made; a place it frees admits the next claimant on the waitlist, in the same transaction.' })
  @Requires({ role: 'CONSUMER', purposes: ['PROGRAM_ELIGIBILITY'] })
  withdrawApplication(
    @Args('program', { type: () => String }) program: string,
    @Args('pseudonym', { type: () => String }) pseudonym: string,
    @Caller() caller: VerifiedCaller,
    @Disclosures() note: DisclosureNote,
  ): Promise<ProgramWithdrawal> {
    return this.service.withdraw(note, caller, program, pseudonym);
  }

  @Query(() => ProgramUptake, {
    description:
      'Applications, admissions, waitlist and places left of a program stream, in a period, by month and/or province (small counts suppressed). Audited against every earlier programUptake answer to you about the stream: cells that would let them be differenced down to 1–9 applications are suppressed too.',
  })
  @Requires({ role: ['CONSUMER', 'PROVIDER'], purposes: ['PROGRAM_ELIGIBILITY', 'STATISTICS'] })
  programUptake(
    @Args('program', { type: () => String }) program: string,
    @Args('stream', { type: () => String, nullable: true, description: 'Required when the program has several streams' }) stream: string | null,
    @Args('period', { type: () => String, nullable: true, description: 'A programme year (its first day) or `all`; default: every application, places left of the current period' }) period: string | null,
    @Args('groupBy', { type: () => [UptakeDimensionEnum], nullable: true }) groupBy: UptakeDimensionEnum[] | null,
    @Caller() caller: VerifiedCaller,
  ): Promise<ProgramUptake> {
    return this.service.uptake(caller, program, stream, period, groupBy);
  }

  @Query(() => EligibleNotApplied, {
    description:
      "The empty-spots question: protected counts of claimants who meet a stream's conditions on the data your STATISTICS agreements cover and have not applied; UNDETERMINED apart, with the field whose absence left them open. Never identities; audited against every earlier release to you.",
  })
  @Requires({ role: ['CONSUMER', 'PROVIDER'], purposes: ['STATISTICS'] })
  eligibleNotApplied(
    @Args('program', { type: () => String }) program: string,
    @Args('stream', { type: () => String, nullable: true, description: 'Required when the program has several streams' }) stream: string | null,
    @Args('groupBy', { type: () => [EmptySpotDimensionEnum], nullable: true }) groupBy: EmptySpotDimensionEnum[] | null,
    @Caller() caller: VerifiedCaller,
    @Disclosures() note: DisclosureNote,
  ): Promise<EligibleNotApplied> {
    return this.service.eligibleNotApplied(note, caller, program, stream, groupBy);
  }

  @Query(() => RuleSimulation, { description: 'What-if: how the eligible and eligible-not-applied counts of a stream would move under a changed rule, with the same protections. Changes nothing.' })
  @Requires({ role: ['CONSUMER', 'PROVIDER'], purposes: ['STATISTICS'] })
  simulateRule(
    @Args('program', { type: () => String }) program: string,
    @Args('stream', { type: () => String, nullable: true, description: 'Required when the program has several streams' }) stream: string | null,
    @Args('change', { type: () => RuleChangeInput }) change: RuleChangeInput,
    @Args('groupBy', { type: () => [EmptySpotDimensionEnum], nullable: true }) groupBy: EmptySpotDimensionEnum[] | null,
    @Caller() caller: VerifiedCaller,
    @Disclosures() note: DisclosureNote,
  ): Promise<RuleSimulation> {
    return this.service.simulateRule(note, caller, program, stream, change, groupBy);
  }
}
