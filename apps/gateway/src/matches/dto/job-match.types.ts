import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum LanguageFitEnum {
  MEETS = 'MEETS',
  DOES_NOT_MEET = 'DOES_NOT_MEET',
  UNDETERMINED = 'UNDETERMINED',
}
registerEnumType(LanguageFitEnum, {
  name: 'LanguageFit',
  description: "How the claimant's tested levels the caller may see fit a posting's minimum levels: UNDETERMINED when the answer depends on a level withheld from the caller.",
});

@InputType({ description: 'Filters of jobMatches(); all optional, combined with AND.' })
export class JobMatchFilterInput {
  @Field(() => String, { nullable: true, description: "The posting's province or territory, 2-letter code." })
  province?: string | null;

  @Field(() => String, { nullable: true, description: "The posting's NOC 2021 code, 5 digits." })
  nocCode?: string | null;

  @Field(() => Int, { nullable: true, description: 'Only postings paying at least this hourly wage, in cents.' })
  minHourlyWageCents?: number | null;

  @Field(() => String, { nullable: true, description: 'Only postings published at or after this instant (RFC 3339) or day (YYYY-MM-DD); a posting without a date counts from its match time.' })
  postedSince?: string | null;

  @Field(() => LanguageFitEnum, { nullable: true, description: 'Only matches whose languageFit is this (e.g. MEETS).' })
  languageFit?: LanguageFitEnum | null;
}

@ObjectType({ description: 'A job-bank posting matched to a claimant by a publisher (ESDC Job Bank).' })
export class JobMatch {
  @Field(() => ID, { description: 'Id of the match (use it with referRelocation).' })
  id: string;

  @Field(() => String, { description: "The claimant, by the caller's own pseudonym." })
  pseudonym: string;

  @Field(() => String, { description: 'The agency that published the match.' })
  publisher: string;

  @Field(() => String)
  postingId: string;

  @Field(() => String)
  title: string;

  @Field(() => String, { description: 'NOC 2021 code of the posting.' })
  nocCode: string;

  @Field(() => String, { description: 'Province or territory of the posting.' })
  province: string;

  @Field(() => String)
  city: string;

  @Field(() => Int, { description: 'Hourly wage in cents.' })
  hourlyWageCents: number;

  @Field(() => String, { description: 'EN | FR | EN_OR_FR | EN_AND_FR' })
  languageRequirement: string;

  @Field(() => Int, { nullable: true, description: "The posting's minimum English level (CLB 1-12), when it states one." })
  minEnglishClb: number | null;

  @Field(() => Int, { nullable: true, description: "The posting's minimum French level (NCLC 1-12), when it states one." })
  minFrenchNclc: number | null;

  @Field(() => LanguageFitEnum, { description: "Whether the claimant's tested levels the caller may see (agreement and consent) meet the posting's minimums; MEETS when it states none." })
  languageFit: LanguageFitEnum;

  @Field(() => String, { nullable: true, description: 'When the posting was published (RFC 3339), when known.' })
  postedAt: string | null;

  @Field(() => Float, { description: 'Match quality, 0 to 1.' })
  score: number;

  @Field(() => String, { description: 'When the match was made (RFC 3339).' })
  matchedAt: string;
}

@ObjectType()
export class JobMatchPageInfo {
  @Field(() => Boolean)
  hasNextPage: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page.' })
  endCursor: string | null;
}

@ObjectType()
export class JobMatchPage {
  @Field(() => [JobMatch])
  nodes: JobMatch[];

  @Field(() => JobMatchPageInfo)
  pageInfo: JobMatchPageInfo;
}

@ObjectType({ description: 'A relocation referral as recorded for the referring agency.' })
export class RelocationReferral {
  @Field(() => ID)
  id: string;

  @Field(() => ID)
  jobMatchId: string;

  @Field(() => String)
  toAgency: string;

  @Field(() => String)
  referredAt: string;

  @Field(() => [String], { description: 'The claimant fields the receiving agency may see under its agreement and the claimant consent, now.' })
  disclosedFields: string[];
}

@ObjectType({ description: 'A field left out of a referral, and why (a decision reason such as consent_revoked or field_not_covered).' })
export class WithheldMatchField {
  @Field(() => String)
  field: string;

  @Field(() => String)
  reason: string;
}

@ObjectType({ description: 'A claimant referred to the calling agency for relocation, with the job match behind it.' })
export class ReceivedReferral {
  @Field(() => ID)
  id: string;

  @Field(() => String, { description: "The claimant, by the receiving (calling) agency's own pseudonym." })
  pseudonym: string;

  @Field(() => String, { description: 'The referring agency.' })
  fromAgency: string;

  @Field(() => String, { description: 'Where the referral stands: REFERRED | CONTACTED | ACCEPTED | DECLINED | RELOCATED | EMPLOYED | WITHDRAWN (move it with moveReferral).' })
  status: string;

  @Field(() => String)
  referredAt: string;

  @Field(() => String)
  postingId: string;

  @Field(() => String)
  title: string;

  @Field(() => String)
  city: string;

  @Field(() => Int)
  hourlyWageCents: number;

  @Field(() => String)
  languageRequirement: string;

  @Field(() => String, { nullable: true, description: 'Null when withheld.' })
  province: string | null;

  @Field(() => String, { nullable: true, description: 'Null when withheld.' })
  nocCode: string | null;

  @Field(() => [WithheldMatchField])
  withheld: WithheldMatchField[];
}

@ObjectType()
export class ReceivedReferralPage {
  @Field(() => [ReceivedReferral])
  nodes: ReceivedReferral[];

  @Field(() => JobMatchPageInfo)
  pageInfo: JobMatchPageInfo;
}
