import { Field, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum EligibilityOutcomeEnum {
  ELIGIBLE = 'ELIGIBLE',
  NOT_ELIGIBLE = 'NOT_ELIGIBLE',
  UNDETERMINED = 'UNDETERMINED',
}
registerEnumType(EligibilityOutcomeEnum, {
  name: 'EligibilityOutcome',
  description: 'ELIGIBLE only when every condition is MET; NOT_ELIGIBLE when one is NOT_MET; otherwise UNDETERMINED.',
});

export enum ConditionResultEnum {
  MET = 'MET',
  NOT_MET = 'NOT_MET',
  UNKNOWN = 'UNKNOWN',
}
registerEnumType(ConditionResultEnum, { name: 'ConditionResult', description: 'UNKNOWN when the field is withheld from the caller, missing, or cannot decide the condition.' });

@ObjectType({ description: 'One named condition of a program, as evaluated on what the caller may see.' })
export class ConditionEvaluationType {
  @Field(() => String)
  name: string;

  @Field(() => String, { description: 'The rule kind (nocCodeIn, sectorIn, hoursAtLeast, ...): docs/programs.md.' })
  kind: string;

  @Field(() => String, { description: 'The claimant field the condition reads.' })
  field: string;

  @Field(() => ConditionResultEnum)
  result: ConditionResultEnum;

  @Field(() => String, { nullable: true, description: 'When UNKNOWN: withheld (not disclosed to you), missing (no provider holds it) or indeterminate.' })
  unknownReason: string | null;
}

@ObjectType({ description: "A program's verdict on one claimant." })
export class Eligibility {
  @Field(() => String)
  program: string;

  @Field(() => String, { description: "The stream judged (its conditions include the program's); `main` for a program without streams." })
  stream: string;

  @Field(() => String, { description: "The caller's own pseudonym for the claimant." })
  pseudonym: string;

  @Field(() => EligibilityOutcomeEnum)
  outcome: EligibilityOutcomeEnum;

  @Field(() => [ConditionEvaluationType])
  conditions: ConditionEvaluationType[];

  @Field(() => String, { description: 'ISO-8601 instant of the evaluation ("today" in conditions is its UTC day).' })
  evaluatedAt: string;

  @Field(() => [DecidingReasonType], { description: 'For each condition not MET: the field, the provider(s) holding it, and the agreement or consent missing.' })
  reasons: DecidingReasonType[];
}

export enum ApplicationStatusEnum {
  APPLIED = 'APPLIED',
  WAITLISTED = 'WAITLISTED',
}
registerEnumType(ApplicationStatusEnum, {
  name: 'ApplicationStatus',
  description: 'APPLIED: admitted against the stream cap; WAITLISTED: the stream (or its programme year) is full and the program keeps a waitlist.',
});

@ObjectType({ description: 'A claimant counted against a program stream, or waiting for a place.' })
export class ProgramApplication {
  @Field(() => String)
  program: string;

  @Field(() => String, { description: '`main` for a program without streams.' })
  stream: string;

  @Field(() => String)
  pseudonym: string;

  @Field(() => ApplicationStatusEnum)
  status: ApplicationStatusEnum;

  @Field(() => String, { description: 'Why this status, in words (e.g. which programme year is full).' })
  reason: string;

  @Field(() => String, { nullable: true, description: 'The period the place counts in: the first day of the programme year, or `all` for an unpaced stream.' })
  period: string | null;

  @Field(() => Int, { nullable: true, description: '1-based place in the waitlist when WAITLISTED.' })
  waitlistPosition: number | null;

  @Field(() => EligibilityOutcomeEnum, { description: 'The eligibility seen by the caller when applying (NOT_ELIGIBLE is refused).' })
  outcome: EligibilityOutcomeEnum;

  @Field(() => Int, { description: 'Admissions in force in the stream, this one included.' })
  counted: number;

  @Field(() => Int, { nullable: true, description: 'Places this period may still admit (the cap and the programme year both bind); null when unlimited.' })
  remaining: number | null;
}

@ObjectType({ description: 'An application withdrawn by the agency that made it.' })
export class ProgramWithdrawal {
  @Field(() => String)
  program: string;

  @Field(() => String)
  stream: string;

  @Field(() => String)
  pseudonym: string;

  @Field(() => String, { description: 'What the application was: ADMITTED or WAITLISTED.' })
  withdrew: string;

  @Field(() => Int, { description: 'Waiting claimants admitted by this withdrawal (0 or 1 usually), in waitlist order.' })
  admittedFromWaitlist: number;
}

@ObjectType({ description: 'One cell of programUptake: applications and admissions in one month and/or province (suppressed as in statistics).' })
export class UptakeCell {
  @Field(() => String, { nullable: true, description: 'YYYY-MM (UTC) when grouped by month' })
  month: string | null;

  @Field(() => String, { nullable: true, description: 'Province code or UNKNOWN when grouped by province' })
  province: string | null;

  @Field(() => Int, { nullable: true, description: 'null when suppressed' })
  applications: number | null;

  @Field(() => Int, { nullable: true, description: 'null when suppressed' })
  admissions: number | null;

  @Field(() => Boolean)
  suppressed: boolean;
}

export enum UptakeDimensionEnum {
  month = 'month',
  province = 'province',
}
registerEnumType(UptakeDimensionEnum, { name: 'UptakeDimension', description: 'How programUptake groups its cells: by month (YYYY-MM, UTC) of application, by province, or both.' });

@ObjectType({ description: 'Applications counted in one province (small counts suppressed as in statistics).' })
export class ProvinceUptake {
  @Field(() => String, { description: 'Province code, or UNKNOWN when the applying agency could not see it.' })
  province: string;

  @Field(() => Int, { nullable: true, description: 'null when suppressed' })
  count: number | null;

  @Field(() => Boolean)
  suppressed: boolean;
}

@ObjectType()
export class ProgramUptake {
  @Field(() => String)
  program: string;

  @Field(() => String)
  stream: string;

  @Field(() => String, { nullable: true, description: 'The period asked for, or the current one (null: outside the window).' })
  period: string | null;

  @Field(() => Int, { nullable: true, description: 'null: no cap' })
  cap: number | null;

  @Field(() => Int, { description: 'Admissions in force in the stream (all periods).' })
  counted: number;

  @Field(() => Int, { nullable: true, description: 'Places left under the whole cap; null: no cap' })
  remaining: number | null;

  @Field(() => Int, { nullable: true, description: 'Places the period may still admit (cap and programme year); null: unlimited' })
  placesLeft: number | null;

  @Field(() => Int, { description: 'Applications made in the period (or ever), whatever became of them' })
  applications: number;

  @Field(() => Int, { description: 'Of those, admitted and in force' })
  admissions: number;

  @Field(() => Int, { description: 'Claimants waiting now' })
  waitlistLength: number;

  @Field(() => [ProvinceUptake], { description: 'Admissions per province (small counts suppressed)' })
  byProvince: ProvinceUptake[];

  @Field(() => [UptakeCell], { description: 'The cells of groupBy, suppressed as in statistics' })
  cells: UptakeCell[];
}

@ObjectType({ description: 'For one condition not MET: what would decide it (issue 17).' })
export class DecidingReasonType {
  @Field(() => String)
  condition: string;

  @Field(() => String, { description: 'The claimant field the condition reads.' })
  field: string;

  @Field(() => ConditionResultEnum)
  result: ConditionResultEnum;

  @Field(() => String, { description: 'AGREEMENT (none in force gives you the field for your purpose), CONSENT (a provider holds it; the claimant has not consented), DATA (no provider you may read holds it, or it cannot decide), NONE (NOT_MET on a value: only its provider can correct it).' })
  missing: string;

  @Field(() => [String], { description: 'The provider(s) that hold the field or could supply it.' })
  providers: string[];

  @Field(() => String, { description: 'What would decide the condition, in words.' })
  action: string;
}

export enum EmptySpotDimensionEnum {
  province = 'province',
  noc = 'noc',
  claimStatus = 'claimStatus',
}
registerEnumType(EmptySpotDimensionEnum, { name: 'EmptySpotDimension', description: 'How eligibleNotApplied and simulateRule group their counts.' });

@ObjectType({ description: 'One protected count of eligibleNotApplied / simulateRule: never below 10 unless 0, never recoverable by differencing with earlier releases to you.' })
export class EmptySpotCell {
  @Field(() => String, { nullable: true, description: 'When grouped by province (UNKNOWN: not known)' })
  province: string | null;

  @Field(() => String, { nullable: true, description: 'When grouped by noc' })
  noc: string | null;

  @Field(() => String, { nullable: true, description: 'When grouped by claimStatus' })
  claimStatus: string | null;

  @Field(() => String, { description: 'ELIGIBLE_NOT_APPLIED, UNDETERMINED_NOT_APPLIED or ELIGIBLE (applied or not)' })
  measure: string;

  @Field(() => String, { nullable: true, description: 'UNDETERMINED: the field(s) whose absence left the outcome open (`+`-joined)' })
  field: string | null;

  @Field(() => Int, { nullable: true, description: 'null when suppressed' })
  count: number | null;

  @Field(() => Boolean)
  suppressed: boolean;
}

@ObjectType({ description: 'Protected counts of one classification of the population.' })
export class SpotCounts {
  @Field(() => [EmptySpotCell], { description: 'Claimants who meet the conditions and have not applied (ELIGIBLE_NOT_APPLIED), and those undetermined (UNDETERMINED_NOT_APPLIED, with the field).' })
  notApplied: EmptySpotCell[];

  @Field(() => [EmptySpotCell], { nullable: true, description: 'Claimants who meet the conditions, applied or not (simulateRule only).' })
  eligible: EmptySpotCell[] | null;
}

@ObjectType({ description: 'The empty-spots question: who meets a stream on the data your STATISTICS agreements cover and has not applied.' })
export class EligibleNotApplied {
  @Field(() => String)
  program: string;

  @Field(() => String)
  stream: string;

  @Field(() => [EmptySpotDimensionEnum])
  groupBy: EmptySpotDimensionEnum[];

  @Field(() => SpotCounts)
  counts: SpotCounts;

  @Field(() => [String], { description: "Fields the stream's conditions read that no STATISTICS agreement to you names: every claimant is undetermined on them." })
  uncoveredFields: string[];

  @Field(() => Int, { description: 'Cells suppressed beyond counts 1–9, because of this or earlier releases to you.' })
  complementarySuppressed: number;

  @Field(() => Boolean, { description: 'true: nothing could be published without revealing a small group; every cell is suppressed.' })
  withheld: boolean;
}

@InputType({ description: 'A what-if on a stream: conditions removed by name, and conditions set (replacing the one of the same name, or added to the stream).' })
export class RuleChangeInput {
  @Field(() => [String], { nullable: true })
  remove?: string[] | null;

  @Field(() => String, { nullable: true, description: 'A JSON array of conditions in the registry syntax (docs/programs.md), e.g. [{"name":"not-an-asylum-claimant","kind":"claimStatusNotIn","statuses":["PENDING"]}]' })
  set?: string | null;
}

@ObjectType({ description: 'How the counts would move under a changed rule (nothing is changed).' })
export class RuleSimulation {
  @Field(() => String)
  program: string;

  @Field(() => String)
  stream: string;

  @Field(() => [EmptySpotDimensionEnum])
  groupBy: EmptySpotDimensionEnum[];

  @Field(() => SpotCounts, { description: 'Under the rule in force' })
  before: SpotCounts;

  @Field(() => SpotCounts, { description: 'Under the changed rule' })
  after: SpotCounts;

  @Field(() => [String])
  uncoveredFields: string[];

  @Field(() => Int)
  complementarySuppressed: number;

  @Field(() => Boolean)
  withheld: boolean;
}
