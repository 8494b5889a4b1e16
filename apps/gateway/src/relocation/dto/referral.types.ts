import { Field, ID, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'One move of a relocation referral along its lifecycle.' })
export class ReferralTransition {
  @Field(() => ID)
  referralId: string;

  @Field(() => String, { description: 'REFERRED | CONTACTED | ACCEPTED | DECLINED | RELOCATED | EMPLOYED | WITHDRAWN' })
  from: string;

  @Field(() => String)
  to: string;

  @Field(() => String, { description: 'From the closed list of the transition.' })
  reason: string;

  @Field(() => String)
  at: string;
}

@ObjectType({ description: 'A referral the calling agency made, with where it stands now (no claimant identity).' })
export class MadeReferral {
  @Field(() => ID)
  id: string;

  @Field(() => String)
  toAgency: string;

  @Field(() => String)
  status: string;

  @Field(() => String)
  referredAt: string;

  @Field(() => String)
  statusChangedAt: string;

  @Field(() => String, { description: "The job match's province." })
  province: string;

  @Field(() => String, { description: "The job match's NOC code." })
  nocCode: string;
}
