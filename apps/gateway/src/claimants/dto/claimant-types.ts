import { Field, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { CLAIM_STATUSES, SECTORS, type ClaimStatus, type Sector } from '../claimant-fields';

/** GraphQL enums built from the one vocabulary in claimant-fields.ts. */
export const ClaimStatusEnum = Object.fromEntries(CLAIM_STATUSES.map((s) => [s, s])) as { [K in ClaimStatus]: K };
registerEnumType(ClaimStatusEnum, { name: 'ClaimStatus', description: 'Status of the asylum claim.' });

export const SectorEnum = Object.fromEntries(SECTORS.map((s) => [s, s])) as { [K in Sector]: K };
registerEnumType(SectorEnum, { name: 'Sector', description: "Sector of the claimant's employer." });

@ObjectType({ description: 'A record refused by its index in the submitted list.' })
export class RejectedClaimant {
  @Field(() => Int)
  index: number;

  @Field(() => String, { description: 'Why, naming the fields at fault (never quoting a value).' })
  reason: string;
}

@ObjectType({ description: 'A stored record, by its index in the submitted list.' })
export class AcceptedClaimant {
  @Field(() => Int)
  index: number;

  @Field(() => String, { description: "The submitting provider's own pseudonym for the claimant." })
  pseudonym: string;

  @Field(() => Boolean, { description: 'false when the record was identical to the one already held (no new version).' })
  changed: boolean;
}

@ObjectType()
export class SubmitClaimantsResult {
  @Field(() => [AcceptedClaimant])
  accepted: AcceptedClaimant[];

  @Field(() => [RejectedClaimant])
  rejected: RejectedClaimant[];
}

@ObjectType({ description: 'Where a disclosed field comes from.' })
export class FieldProvenance {
  @Field(() => String)
  field: string;

  @Field(() => String, { description: 'The provider agency that supplied the value.' })
  provider: string;

  @Field(() => String, { description: 'When the provider supplied it (ISO-8601).' })
  suppliedAt: string;
}

@ObjectType({ description: 'A field not disclosed, and why.' })
export class WithheldField {
  @Field(() => String)
  field: string;

  @Field(() => String, { description: 'no_agreement | agreement_not_in_force | purpose_not_covered | field_not_covered | consent_required | consent_expired | consent_revoked' })
  reason: string;
}

@ObjectType({ description: 'A claimant as the caller may see it: fields merged across providers, withheld ones null.' })
export class Claimant {
  @Field(() => String, { description: "The caller's own pseudonym for the claimant." })
  pseudonym: string;

  @Field(() => ClaimStatusEnum, { nullable: true })
  claimStatus: ClaimStatus | null;

  @Field(() => String, { nullable: true })
  claimDate: string | null;

  @Field(() => String, { nullable: true })
  province: string | null;

  @Field(() => String, { nullable: true })
  workPermitExpiry: string | null;

  @Field(() => String, { nullable: true })
  nocCode: string | null;

  @Field(() => SectorEnum, { nullable: true })
  sector: Sector | null;

  @Field(() => Int, { nullable: true })
  healthCareHours: number | null;

  @Field(() => String, { nullable: true, description: 'Period of healthCareHours (disclosed with it).' })
  hoursPeriodStart: string | null;

  @Field(() => String, { nullable: true })
  hoursPeriodEnd: string | null;

  @Field(() => Int, { nullable: true, description: 'NCLC 1–12' })
  frenchLevel: number | null;

  @Field(() => Int, { nullable: true, description: 'CLB 1–12' })
  englishLevel: number | null;

  @Field(() => [FieldProvenance])
  provenance: FieldProvenance[];

  @Field(() => [WithheldField])
  withheld: WithheldField[];
}

@ObjectType()
export class ClaimantPageInfo {
  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page.' })
  endCursor: string | null;

  @Field(() => Boolean)
  hasNextPage: boolean;
}

@ObjectType({
  description:
    'A page of claimants. A page may hold fewer than `first` nodes, even none: claimants with nothing disclosable are left out, and one page looks at no more than 10,000 claimants, so a filter that matches few ends its page early with `hasNextPage` true. Follow `endCursor` until `hasNextPage` is false.',
})
export class ClaimantPage {
  @Field(() => [Claimant])
  nodes: Claimant[];

  @Field(() => ClaimantPageInfo)
  pageInfo: ClaimantPageInfo;
}
