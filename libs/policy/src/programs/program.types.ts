/**
 * Programs as data (registry `programs`), and the small rule language their conditions use.
 * Documented for operators in docs/programs.md. This module depends on nothing of ours, so that
 * libs/registry can call the validation without a dependency cycle.
 */

export const CLAIM_STATUS_VALUES = ['PENDING', 'ACCEPTED', 'REJECTED', 'APPEAL_PENDING', 'WITHDRAWN'] as const;
export type ClaimStatusValue = (typeof CLAIM_STATUS_VALUES)[number];

export const PROVINCE_CODES = ['AB', 'BC', 'MB', 'NB', 'NL', 'NS', 'NT', 'NU', 'ON', 'PE', 'QC', 'SK', 'YT'] as const;
export type ProvinceCode = (typeof PROVINCE_CODES)[number];

/** Employer sectors (the gateway's claimant vocabulary uses these lists; see claimant-fields.ts). */
export const SECTOR_VALUES = [
  'HEALTH_CARE',
  'SOCIAL_ASSISTANCE',
  'FOOD_SERVICES',
  'SECURITY',
  'CLEANING_MAINTENANCE',
  'ADMINISTRATION',
  'CONSTRUCTION',
  'MANUFACTURING',
  'AGRICULTURE',
  'TRANSPORTATION',
  'RETAIL',
  'OTHER',
] as const;
export type SectorValue = (typeof SECTOR_VALUES)[number];

/** YYYY-MM-DD, a real calendar day, compared as strings (UTC days). */
export type IsoDay = string;

export interface NocCodeIn {
  kind: 'nocCodeIn';
  name: string;
  /** NOC 2021 codes (5 digits) */
  codes: string[];
}
export interface SectorIn {
  kind: 'sectorIn';
  name: string;
  sectors: SectorValue[];
}
export interface HoursAtLeast {
  kind: 'hoursAtLeast';
  name: string;
  /** the threshold: at least this many health-care hours ... */
  hours: number;
  /** ... worked between these days, inclusive */
  from: IsoDay;
  to: IsoDay;
}
export interface ClaimStatusIn {
  kind: 'claimStatusIn';
  name: string;
  statuses: ClaimStatusValue[];
}
export interface ClaimStatusNotIn {
  kind: 'claimStatusNotIn';
  name: string;
  statuses: ClaimStatusValue[];
}
export interface PermitValidOn {
  kind: 'permitValidOn';
  name: string;
  /** a day, or "today" (the day of the evaluation instant, UTC) */
  date: IsoDay | 'today';
}
export interface FrenchLevelAtLeast {
  kind: 'frenchLevelAtLeast';
  name: string;
  /** NCLC level 1–12 */
  level: number;
}
export interface ProvinceIn {
  kind: 'provinceIn';
  name: string;
  provinces: ProvinceCode[];
}

export type ProgramCondition = NocCodeIn | SectorIn | HoursAtLeast | ClaimStatusIn | ClaimStatusNotIn | PermitValidOn | FrenchLevelAtLeast | ProvinceIn;
export type ConditionKind = ProgramCondition['kind'];

/** The claimant field (contract name) each condition kind reads. */
export const CONDITION_FIELD: Readonly<Record<ConditionKind, ProgramField>> = {
  nocCodeIn: 'nocCode',
  sectorIn: 'sector',
  hoursAtLeast: 'healthCareHours',
  claimStatusIn: 'claimStatus',
  claimStatusNotIn: 'claimStatus',
  permitValidOn: 'workPermitExpiry',
  frenchLevelAtLeast: 'frenchLevel',
  provinceIn: 'province',
};
export const CONDITION_KINDS = Object.keys(CONDITION_FIELD) as ConditionKind[];

export type ProgramField = 'nocCode' | 'sector' | 'healthCareHours' | 'claimStatus' | 'workPermitExpiry' | 'frenchLevel' | 'province';

import type { EmploymentPeriod } from './hours';

/** Days, inclusive at both ends. */
export interface DayWindow {
  from: IsoDay;
  to: IsoDay;
}

/**
 * How a cap is spread over time: at most `perPeriod` admissions in each programme year (the
 * years counted from the first day of the stream's window). Places a year leaves unused pass to
 * the next only when `carryOver` is true.
 */
export interface Pacing {
  period: 'programmeYear';
  perPeriod: number;
  carryOver: boolean;
}

/** One stream of a program: its own conditions (added to the program's), cap, window and pacing. */
export interface ProgramStream {
  id: string;
  names: { en: string; fr: string };
  description?: string;
  conditions: ProgramCondition[];
  /** null: uncapped */
  cap: number | null;
  /** the days applications to this stream are taken; null: always open */
  window: DayWindow | null;
  pacing?: Pacing | null;
}

/** The stream id of a program without `streams` (its program-level cap, capPeriod and pacing). */
export const IMPLICIT_STREAM = 'main';

export interface ProgramDefinition {
  id: string;
  names: { en: string; fr: string };
  /** free text for people; not evaluated */
  description?: string;
  /** all must be MET for ELIGIBLE (with streams: common to every stream, may be empty) */
  conditions: ProgramCondition[];
  /** how many applicants the program takes; null: no cap. Absent when the program has streams. */
  cap?: number | null;
  /** the days (inclusive) during which applications are taken and counted; null: always open. Absent with streams. */
  capPeriod?: DayWindow | null;
  /** pacing of the program-level cap (programs without streams) */
  pacing?: Pacing | null;
  /** when a stream is full, further applicants join a waitlist, admitted in order as places free */
  waitlist?: boolean;
  /** the program's streams; absent: one implicit stream `main` made of the program-level fields */
  streams?: ProgramStream[];
}

/**
 * What the evaluator sees of one claimant: the values this caller may see (merged across
 * providers). A field that is absent or null is unknown; `withheld` names those the caller may
 * not see, so that an UNKNOWN result says why.
 */
export interface ClaimantView {
  claimStatus?: ClaimStatusValue | null;
  province?: string | null;
  workPermitExpiry?: IsoDay | null;
  nocCode?: string | null;
  sector?: string | null;
  healthCareHours?: { hours: number; periodStart: IsoDay; periodEnd: IsoDay } | null;
  frenchLevel?: number | null;
  /** health-care employment periods from every provider the caller may see healthCareHours of (hours.ts) */
  employment?: readonly EmploymentPeriod[] | null;
  withheld?: ReadonlySet<string> | readonly string[];
}

export type ConditionResult = 'MET' | 'NOT_MET' | 'UNKNOWN';
export type EligibilityOutcome = 'ELIGIBLE' | 'NOT_ELIGIBLE' | 'UNDETERMINED';

/** Why a condition is UNKNOWN. */
export type UnknownReason = 'withheld' | 'missing' | 'indeterminate';

export interface ConditionEvaluation {
  name: string;
  kind: ConditionKind;
  field: ProgramField;
  result: ConditionResult;
  /** set when result is UNKNOWN */
  unknownReason?: UnknownReason;
}

export interface ProgramEvaluation {
  program: string;
  outcome: EligibilityOutcome;
  conditions: ConditionEvaluation[];
}
