import { Field, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

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

  @Field(() => String, { description: "The caller's own pseudonym for the claimant." })
  pseudonym: string;

  @Field(() => EligibilityOutcomeEnum)
  outcome: EligibilityOutcomeEnum;

  @Field(() => [ConditionEvaluationType])
  conditions: ConditionEvaluationType[];

  @Field(() => String, { description: 'ISO-8601 instant of the evaluation ("today" in conditions is its UTC day).' })
  evaluatedAt: string;
}

@ObjectType({ description: 'A claimant counted against a program.' })
export class ProgramApplication {
  @Field(() => String)
  program: string;

  @Field(() => String)
  pseudonym: string;

  @Field(() => EligibilityOutcomeEnum, { description: 'The eligibility seen by the caller when applying (NOT_ELIGIBLE is refused).' })
  outcome: EligibilityOutcomeEnum;

  @Field(() => Int, { description: 'Applications counted, this one included.' })
  counted: number;

  @Field(() => Int, { nullable: true, description: 'Places left; null when the program has no cap.' })
  remaining: number | null;
}

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

  @Field(() => Int, { nullable: true, description: 'null: no cap' })
  cap: number | null;

  @Field(() => Int)
  counted: number;

  @Field(() => Int, { nullable: true, description: 'null: no cap' })
  remaining: number | null;

  @Field(() => [ProvinceUptake])
  byProvince: ProvinceUptake[];
}
