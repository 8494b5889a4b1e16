import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Caller, Requires } from '../auth';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { Disclosures, type DisclosureNote } from '../disclosure';
import { Eligibility, ProgramApplication, ProgramUptake } from './dto/program-types';
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
    @Caller() caller: VerifiedCaller,
    @Disclosures() note: DisclosureNote,
  ): Promise<Eligibility> {
    return this.service.eligibility(note, caller, program, pseudonym);
  }

  @Mutation(() => ProgramApplication, {
    description: 'Counts a claimant against a program (once per program, never past the cap: CONFLICT with extensions.reason CAP_REACHED or ALREADY_APPLIED).',
  })
  @Requires({ role: 'CONSUMER', purposes: ['PROGRAM_ELIGIBILITY'] })
  applyToProgram(
    @Args('program', { type: () => String }) program: string,
    @Args('pseudonym', { type: () => String }) pseudonym: string,
    @Caller() caller: VerifiedCaller,
    @Disclosures() note: DisclosureNote,
  ): Promise<ProgramApplication> {
    return this.service.apply(note, caller, program, pseudonym);
  }

  @Query(() => ProgramUptake, { description: 'How many applicants a program has counted against its cap, and where (small counts suppressed).' })
  @Requires({ role: ['CONSUMER', 'PROVIDER'], purposes: ['PROGRAM_ELIGIBILITY', 'STATISTICS'] })
  programUptake(@Args('program', { type: () => String }) program: string): Promise<ProgramUptake> {
    return this.service.uptake(program);
  }
}
