import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';

@InputType({ description: 'How claimants reach the offering province: an email address, a phone number or an https URL of the agency (never a person).' })
export class OfferContactInput {
  @Field(() => String, { description: 'EMAIL | PHONE | URL' })
  kind: string;

  @Field(() => String)
  value: string;
}

@InputType({ description: 'The terms of a relocation offer, as a receiving province publishes or amends them.' })
export class RelocationOfferInput {
  @Field(() => [String], { description: 'Receiving regions of the offering province (1 to 20 names).' })
  regions: string[];

  @Field(() => [String], { description: 'Occupations offered, NOC 2021 codes of 5 digits (1 to 50).' })
  nocCodes: string[];

  @Field(() => Int, { description: 'Places offered (1 to 100000).' })
  places: number;

  @Field(() => String, { description: 'First day of the period (YYYY-MM-DD).' })
  periodStart: string;

  @Field(() => String, { description: 'Last day of the period (YYYY-MM-DD), inclusive.' })
  periodEnd: string;

  @Field(() => String, { description: 'Languages the settlement services are given in: EN | FR | EN_AND_FR.' })
  languageSupport: string;

  @Field(() => Int, { nullable: true, description: 'French level the occupations ask for, NCLC 1–12 (none when absent).' })
  minFrenchLevel?: number | null;

  @Field(() => Int, { nullable: true, description: 'English level the occupations ask for, CLB 1–12 (none when absent).' })
  minEnglishLevel?: number | null;

  @Field(() => [String], { description: 'Settlement services from the closed list: HOUSING, LANGUAGE_TRAINING, EMPLOYMENT_SUPPORT, CHILDCARE, HEALTH_NAVIGATION, TRANSPORTATION, LEGAL_INFORMATION, CREDENTIAL_RECOGNITION.' })
  settlementServices: string[];

  @Field(() => OfferContactInput)
  contact: OfferContactInput;
}

@InputType({ description: 'Filters of relocationOffers(); all optional, combined with AND.' })
export class RelocationOfferFilterInput {
  @Field(() => String, { nullable: true, description: 'Offering province or territory, 2-letter code.' })
  province?: string | null;

  @Field(() => String, { nullable: true, description: 'Only offers naming this NOC 2021 code.' })
  nocCode?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Include withdrawn offers (default false).' })
  includeWithdrawn?: boolean | null;
}

@ObjectType()
export class OfferContact {
  @Field(() => String)
  kind: string;

  @Field(() => String)
  value: string;
}

@ObjectType({ description: 'A relocation offer of a receiving province.' })
export class RelocationOffer {
  @Field(() => ID)
  id: string;

  @Field(() => String, { description: 'The offering agency (RECEIVER role).' })
  agency: string;

  @Field(() => String, { description: "The offering agency's province or territory." })
  province: string;

  @Field(() => [String])
  regions: string[];

  @Field(() => [String])
  nocCodes: string[];

  @Field(() => Int)
  places: number;

  @Field(() => String)
  periodStart: string;

  @Field(() => String)
  periodEnd: string;

  @Field(() => String, { description: 'EN | FR | EN_AND_FR' })
  languageSupport: string;

  @Field(() => Int, { nullable: true, description: 'NCLC 1–12' })
  minFrenchLevel: number | null;

  @Field(() => Int, { nullable: true, description: 'CLB 1–12' })
  minEnglishLevel: number | null;

  @Field(() => [String])
  settlementServices: string[];

  @Field(() => OfferContact)
  contact: OfferContact;

  @Field(() => String, { description: 'OPEN | WITHDRAWN' })
  status: string;

  @Field(() => Int, { description: 'Starts at 1, one more per amendment; amendRelocationOffer takes the version it amends.' })
  version: number;

  @Field(() => String)
  createdAt: string;

  @Field(() => String)
  updatedAt: string;
}
