import { Field, InputType, Int } from '@nestjs/graphql';
import type { RawClaimantInput, RawEmploymentPeriod } from '../claimant-validation';
import type { RawClaimantFilter } from '../claimant-access';

/*
 * Every input field is a nullable String or Int on purpose: GraphQL's own coercion errors quote
 * the offending value, and a value here may be a client id. The service validates each field
 * and refuses a bad record by its index, never quoting it.
 */

@InputType({ description: 'One employment period: who employed the claimant, where the work was done, when, and how many hours.' })
export class EmploymentPeriodInput implements RawEmploymentPeriod {
  @Field(() => String, { nullable: true, description: "The employer's business number (NEQ or BN). Turned into a keyed reference on arrival and never stored." })
  employerId?: string | null;

  @Field(() => String, { nullable: true, description: "The employer's own sector (a security firm: SECURITY)." })
  employerSector?: string | null;

  @Field(() => String, { nullable: true, description: 'The sector of the worksite where the work was done (a CHSLD: HEALTH_CARE). Hours conditions count this one.' })
  worksiteSector?: string | null;

  @Field(() => String, { nullable: true, description: 'First day, YYYY-MM-DD.' })
  start?: string | null;

  @Field(() => String, { nullable: true, description: 'Last day, YYYY-MM-DD (inclusive).' })
  end?: string | null;

  @Field(() => Int, { nullable: true, description: 'Hours worked over the period.' })
  hours?: number | null;
}

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

  @Field(() => [EmploymentPeriodInput], { nullable: true, description: 'Health-care employment as periods (issue 17): replaces your previous periods about the claimant. Disclosed under the healthCareHours field. At most 50.' })
  employment?: EmploymentPeriodInput[] | null;
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
