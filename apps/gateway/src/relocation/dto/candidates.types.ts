import { Field, Int, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'A count protected as in statistics: null (suppressed) from 1 to 9.' })
export class ProtectedCount {
  @Field(() => Int, { nullable: true, description: 'The count, or null when suppressed (1 to 9).' })
  value: number | null;

  @Field(() => Boolean)
  suppressed: boolean;
}

@ObjectType({ description: "A claimant whose willingness to relocate names the offering province, by that province's own pseudonym." })
export class RelocationCandidate {
  @Field(() => String)
  pseudonym: string;

  @Field(() => [String], { description: "The offer's NOC codes the claimant has a job match for in the offering province." })
  nocCodes: string[];
}

@ObjectType({ description: 'Who fits a relocation offer: claimants with a job match in the offering province for one of its occupations.' })
export class RelocationCandidates {
  @Field(() => String)
  offerId: string;

  @Field(() => ProtectedCount, { description: 'Claimants who fit the offer and whose data the offering province may see under its agreements and their consent.' })
  consenting: ProtectedCount;

  @Field(() => [RelocationCandidate], { description: 'Only the claimants whose willingness to relocate (RELOCATION consent in force) names the offering province.' })
  willing: RelocationCandidate[];
}
