import { Field, Float, InputType, ObjectType } from '@nestjs/graphql';

@InputType({ description: 'A consent the calling agency collected from a claimant (the calling agency is the collector).' })
export class RecordConsentInput {
  @Field(() => String, { description: "The claimant, by the calling agency's own pseudonym." })
  pseudonym: string;

  @Field(() => String, { description: 'JOB_MATCHING | RELOCATION | PROGRAM_ELIGIBILITY | STATISTICS' })
  purpose: string;

  @Field(() => String, { description: 'The agency (registry id) that may receive data under this consent.' })
  recipient: string;

  @Field(() => String, { description: 'ISO-8601 with a time zone; the consent is in force from this second.' })
  validFrom: string;

  @Field(() => String, { description: 'ISO-8601 with a time zone; the consent is no longer in force from this second.' })
  expiresAt: string;

  @Field(() => String, { description: 'base64url SHA-256 (43 characters) of the signed consent form, which the collecting agency keeps.' })
  evidenceSha256: string;

  @Field(() => [String], {
    nullable: true,
    description: "RELOCATION only (the claimant's willingness to relocate): the provinces or territories the claimant accepts to settle in, 2-letter codes other than QC, naming the recipient's own province. Absent: the recipient's province when it is a receiving one.",
  })
  destinations?: string[] | null;
}

@ObjectType({ description: "A claimant's consent to one recipient for one purpose." })
export class Consent {
  @Field(() => String)
  id: string;

  @Field(() => String, { description: "The claimant, by the calling agency's own pseudonym." })
  pseudonym: string;

  @Field(() => String)
  purpose: string;

  @Field(() => String)
  recipient: string;

  @Field(() => String, { description: 'The agency that collected the consent (and alone may revoke it).' })
  collectedBy: string;

  @Field(() => String)
  validFrom: string;

  @Field(() => String)
  expiresAt: string;

  @Field(() => String)
  evidenceSha256: string;

  @Field(() => String)
  grantedAt: string;

  @Field(() => String, { nullable: true, description: 'Set once revoked; revocation takes effect at once.' })
  revokedAt: string | null;

  @Field(() => String, { nullable: true })
  revokedBy: string | null;

  @Field(() => [String], { description: 'RELOCATION: the provinces the claimant accepts to settle in (also in the receipt); empty for other purposes.' })
  destinations: string[];

  @Field(() => String, {
    description:
      'Consent receipt: compact JWS by the gateway key (typ consent-receipt+jwt; verify with /.well-known/jwks.json). Claims: consent_id, purpose, recipient, collected_by, valid_from, expires_at, evidence_sha256, granted_at, revoked_at, destinations (RELOCATION); never an identifier of the person.',
  })
  receipt: string;
}

@ObjectType({ description: 'One disclosure of claimant data to an agency, from the audit ledger.' })
export class Disclosure {
  @Field(() => Float, { description: 'Ledger index of the entry that records it.' })
  seq: number;

  @Field(() => String)
  time: string;

  @Field(() => String, { description: 'The agency that received the data.' })
  agency: string;

  @Field(() => String)
  purpose: string;

  @Field(() => String)
  operation: string;

  @Field(() => [String])
  fields: string[];
}

@ObjectType()
export class DisclosurePage {
  @Field(() => [Disclosure], { description: 'Newest first.' })
  disclosures: Disclosure[];

  @Field(() => Boolean, { description: 'More, older disclosures exist: ask again with `before` = the last seq.' })
  hasMore: boolean;
}
