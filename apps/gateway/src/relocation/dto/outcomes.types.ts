import { Field, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum OutcomeDimensionEnum {
  fromProvince = 'fromProvince',
  toProvince = 'toProvince',
  noc = 'noc',
  status = 'status',
}
registerEnumType(OutcomeDimensionEnum, {
  name: 'RelocationOutcomeDimension',
  description: "fromProvince: the referring agency's jurisdiction; toProvince: the receiving agency's; noc: the job match's occupation (NOC 2021); status: the referral's status now.",
});

@ObjectType({ description: 'Referrals made in the period with one combination of the grouped dimensions (ungrouped ones are null); counts from 1 to 9 and their complements suppressed.' })
export class RelocationOutcomeCell {
  @Field(() => String, { nullable: true })
  fromProvince: string | null;

  @Field(() => String, { nullable: true })
  toProvince: string | null;

  @Field(() => String, { nullable: true })
  noc: string | null;

  @Field(() => String, { nullable: true })
  status: string | null;

  @Field(() => Int, { nullable: true, description: 'Referrals made (null when suppressed).' })
  referrals: number | null;

  @Field(() => Int, { nullable: true, description: 'Of them, accepted by the claimant (even if withdrawn later).' })
  acceptances: number | null;

  @Field(() => Int, { nullable: true, description: 'Of them, relocated (arrival confirmed by the receiving province).' })
  moves: number | null;

  @Field(() => Int, { nullable: true, description: 'Of them, employed (job confirmed by ESDC).' })
  jobs: number | null;

  @Field(() => Boolean)
  suppressed: boolean;
}

@ObjectType({ description: 'Relocation offers in force during the period, by receiving province and occupation (no claimant data: not suppressed). An offer for several occupations counts under each.' })
export class RelocationOfferCount {
  @Field(() => String)
  toProvince: string;

  @Field(() => String)
  noc: string;

  @Field(() => Int)
  offers: number;

  @Field(() => Int)
  places: number;
}

@ObjectType({ description: 'What the relocation initiative produced in one calendar quarter: offers, referrals, acceptances, moves and jobs, without a list of names.' })
export class RelocationOutcomes {
  @Field(() => String, { description: 'The calendar quarter, YYYY-Qn.' })
  period: string;

  @Field(() => [OutcomeDimensionEnum])
  groupBy: OutcomeDimensionEnum[];

  @Field(() => String, { description: 'ALL (federal program officer) or the province whose rows these are (rows from or to it).' })
  scope: string;

  @Field(() => [RelocationOutcomeCell])
  cells: RelocationOutcomeCell[];

  @Field(() => [RelocationOfferCount])
  offers: RelocationOfferCount[];
}
