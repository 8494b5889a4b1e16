import { Field, InputType, Int } from '@nestjs/graphql';
import type { RawClaimantInput } from '../claimant-validation';
import type { RawClaimantFilter } from '../claimant-access';

/*
 * Every input field is a nullable String or Int on purpose: GraphQL's own coercion errors quote
 * the offending value, and a value here may be a client id. The service validates each field
 * and refuses a bad record by its index, never quoting it.
 */

@InputType({ description: 'One claimant record as the provider holds it. Only clientId is required; send the fields you hold. A resubmission replaces your previous record about the claimant.' })
export class ClaimantInput implements RawClaimantInput {
  @Field(() => String, { nullable: true, description: "The provider's own client id. Turned into the gateway's internal id on arrival and never stored." })
  clientId?: string | null;

  @Field(() => String, { nullable: true, description: 'PENDING | ACCEPTED | REJECTED | APPEAL_PENDING | WITHDRAWN' })
  claimStatus?: string | null;

  @Field(() => String, { nullable: true, description: 'Date of the asylum claim, YYYY-MM-DD.' })
  claimDate?: string | null;

  @Field(() => String, { nullable: true, description: 'Province or territory of residence, 2-letter code (QC, ON, ...).' })
  province?: string | null;

  @Field(() => String, { nullable: true, description: 'Work permit expiry date, YYYY-MM-DD.' })
  workPermitExpiry?: string | null;

  @Field(() => String, { nullable: true, description: 'Occupation, NOC 2021 code of 5 digits (33102 nurse aides, 64410 security guards...).' })
  nocCode?: string | null;

  @Field(() => String, { nullable: true, description: "Employer's sector: HEALTH_CARE, SOCIAL_ASSISTANCE, FOOD_SERVICES, SECURITY, CLEANING_MAINTENANCE, ADMINISTRATION, CONSTRUCTION, MANUFACTURING, AGRICULTURE, TRANSPORTATION, RETAIL, OTHER." })
  sector?: string | null;

  @Field(() => Int, { nullable: true, description: 'Hours worked in health care between hoursPeriodStart and hoursPeriodEnd (both required with it).' })
  healthCareHours?: number | null;

  @Field(() => String, { nullable: true, description: 'First day of the hours period, YYYY-MM-DD.' })
  hoursPeriodStart?: string | null;

  @Field(() => String, { nullable: true, description: 'Last day of the hours period, YYYY-MM-DD (inclusive).' })
  hoursPeriodEnd?: string | null;

  @Field(() => Int, { nullable: true, description: 'French level, NCLC 1–12.' })
  frenchLevel?: number | null;

  @Field(() => Int, { nullable: true, description: 'English level, CLB 1–12 (Canadian Language Benchmarks), from the agency that tested it.' })
  englishLevel?: number | null;
}

@InputType({ description: 'Filters of claimants(). Each filter matches the value the caller would be shown (merged across the providers whose agreement covers the field).' })
export class ClaimantFilterInput implements RawClaimantFilter {
  @Field(() => String, { nullable: true })
  province?: string | null;

  @Field(() => [String], { nullable: true, description: 'Any of these claim statuses.' })
  claimStatus?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Any of these NOC 2021 codes.' })
  nocCode?: string[] | null;

  @Field(() => String, { nullable: true })
  sector?: string | null;

  @Field(() => String, { nullable: true, description: 'Work permit valid on this day (workPermitExpiry on or after it), YYYY-MM-DD.' })
  workPermitValidOn?: string | null;

  @Field(() => Int, { nullable: true })
  frenchLevelAtLeast?: number | null;

  @Field(() => Int, { nullable: true, description: 'English level at least, CLB 1–12.' })
  englishLevelAtLeast?: number | null;

  @Field(() => Int, { nullable: true })
  healthCareHoursAtLeast?: number | null;
}
