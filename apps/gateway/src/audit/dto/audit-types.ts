import { Field, Float, InputType, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum AuditDecisionEnum {
  PERMIT = 'PERMIT',
  DENY = 'DENY',
}
registerEnumType(AuditDecisionEnum, { name: 'AuditDecision', description: 'What the gateway decided for the recorded exchange.' });

@ObjectType({ description: 'One entry of the audit ledger (docs/contract.md §5). Subjects are gateway-internal pseudonyms, never raw identifiers.' })
export class AuditEntry {
  @Field(() => Float, { description: 'Ledger index (from 0); an integer, typed Float because it may exceed 2^31.' })
  seq: number;

  @Field(() => String, { description: 'ISO-8601 time the entry was recorded.' })
  time: string;

  @Field(() => String, { description: 'Calling agency ("" when the request could not be attributed).' })
  agency: string;

  @Field(() => String)
  kid: string;

  @Field(() => String)
  jti: string;

  @Field(() => String)
  purpose: string;

  @Field(() => String, { description: 'e.g. graphql:claimant, rest:GET /audit/sth, kafka:jobbank.matches.v1' })
  operation: string;

  @Field(() => AuditDecisionEnum)
  decision: AuditDecisionEnum;

  @Field(() => String, { description: '"ok" or the contract error code of the refusal.' })
  reason: string;

  @Field(() => [String], { description: 'Gateway-internal pseudonyms of the claimants concerned.' })
  subjects: string[];

  @Field(() => [String], { description: 'Fields disclosed (PERMIT) or requested (DENY).' })
  fields: string[];

  @Field(() => String, { description: 'base64url SHA-256 of the request body.' })
  requestSha256: string;

  @Field(() => String, { description: 'base64url SHA-256 of the response body ("" when none).' })
  responseSha256: string;

  @Field(() => String)
  requestId: string;

  // The legal basis (docs/contract.md §5.2): empty lists and nulls when the entry does not carry the member.
  @Field(() => [String], { description: 'PERMIT: ids of the registry agreements the exchange relied on, sorted.' })
  agreements: string[];

  @Field(() => [String], { description: 'PERMIT: the legal basis references of those agreements, sorted.' })
  legalBasis: string[];

  @Field(() => [String], { description: 'PERMIT: ids of the consents in force the exchange relied on, sorted.' })
  consents: string[];

  @Field(() => String, { nullable: true, description: 'PERMIT: "<program id>@<SHA-256 hex of its definition>" when a program decided.' })
  programVersion: string | null;

  @Field(() => String, { nullable: true, description: 'Lowercase hex SHA-256 of the registry file in force (null on entries written before the member existed).' })
  registryVersion: string | null;

  @Field(() => String, { nullable: true, description: 'DENY: the rule that refused.' })
  rule: string | null;

  @Field(() => String, { description: 'The exact RFC 8785 canonical JSON hashed into the leaf: SHA-256(0x00 ‖ canonicalJson).' })
  canonicalJson: string;
}

@ObjectType({ description: 'A page of ledger entries, newest first.' })
export class AuditEntryConnection {
  @Field(() => [AuditEntry])
  nodes: AuditEntry[];

  @Field(() => Boolean)
  hasMore: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next (older) page; null when the page is empty.' })
  endCursor: string | null;
}

@InputType({ description: 'Filters on ledger entries; all given ones must hold.' })
export class AuditEntryFilter {
  @Field(() => String, { nullable: true })
  agency?: string;

  @Field(() => String, { nullable: true })
  purpose?: string;

  @Field(() => AuditDecisionEnum, { nullable: true })
  decision?: AuditDecisionEnum;

  @Field(() => String, { nullable: true, description: 'A gateway-internal pseudonym among the entry subjects.' })
  subject?: string;

  @Field(() => String, { nullable: true })
  operation?: string;

  @Field(() => String, { nullable: true, description: 'ISO-8601, inclusive.' })
  since?: string;

  @Field(() => String, { nullable: true, description: 'ISO-8601, exclusive.' })
  until?: string;
}

@ObjectType({ description: "A signed tree head: compact JWS by the audit log's own key (published in /.well-known/jwks.json marked signs: tree-head+jwt), typ tree-head+jwt." })
export class SignedTreeHead {
  @Field(() => Float, { description: 'Entries covered (an integer).' })
  treeSize: number;

  @Field(() => String, { description: 'RFC 9162 root hash, base64url.' })
  rootHash: string;

  @Field(() => Float, { description: 'Milliseconds since the epoch.' })
  timestamp: number;

  @Field(() => String)
  jws: string;
}

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 500;
