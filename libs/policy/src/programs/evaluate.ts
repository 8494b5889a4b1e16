import {
  CONDITION_FIELD,
  type ClaimantView,
  type ConditionEvaluation,
  type ConditionResult,
  type EligibilityOutcome,
  type ProgramCondition,
  type ProgramDefinition,
  type ProgramEvaluation,
  type UnknownReason,
} from './program.types';
import { programStreams, type ResolvedStream } from './pacing';
import { hoursInWindow, reachesHours } from './hours';

/** The UTC day of an instant, YYYY-MM-DD. */
export function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function isWithheld(view: ClaimantView, field: string): boolean {
  const w = view.withheld;
  if (!w) return false;
  return w instanceof Set ? w.has(field) : (w as readonly string[]).includes(field);
}

type Judged = { result: ConditionResult; unknownReason?: UnknownReason };
const MET: Judged = { result: 'MET' };
const NOT_MET: Judged = { result: 'NOT_MET' };
const INDETERMINATE: Judged = { result: 'UNKNOWN', unknownReason: 'indeterminate' };
const verdict = (ok: boolean): Judged => (ok ? MET : NOT_MET);

/** Judges one condition on a present value. */
function judge(condition: ProgramCondition, view: ClaimantView, at: Date): Judged {
  switch (condition.kind) {
    case 'nocCodeIn':
      return verdict(condition.codes.includes(view.nocCode as string));
    case 'sectorIn':
      return verdict((condition.sectors as readonly string[]).includes(view.sector as string));
    case 'claimStatusIn':
      return verdict((condition.statuses as readonly string[]).includes(view.claimStatus as string));
    case 'claimStatusNotIn':
      return verdict(!(condition.statuses as readonly string[]).includes(view.claimStatus as string));
    case 'provinceIn':
      return verdict((condition.provinces as readonly string[]).includes(view.province as string));
    case 'frenchLevelAtLeast':
      return verdict((view.frenchLevel as number) >= condition.level);
    case 'permitValidOn': {
      // A permit expiring on day D is valid through D.
      const day = condition.date === 'today' ? dayOf(at) : condition.date;
      return verdict((view.workPermitExpiry as string) >= day);
    }
    case 'hoursAtLeast': {
      // Periods (issue 17) decide when they reach the threshold; otherwise the single reported number has its say.
      const periods = view.employment && view.employment.length > 0 ? verdict(reachesHours(hoursInWindow(view.employment, condition), condition.hours)) : undefined;
      if (periods?.result === 'MET' || !view.healthCareHours) return periods!;
      const h = view.healthCareHours;
      // Fewer hours in the whole reported period than required: not met, wherever they fell.
      if (h.hours < condition.hours) return NOT_MET;
      const overlaps = h.periodStart <= condition.to && h.periodEnd >= condition.from;
      // No day of the reported period in the window: no hour in it.
      if (!overlaps) return verdict(condition.hours <= 0);
      const inside = h.periodStart >= condition.from && h.periodEnd <= condition.to;
      // Enough hours, period partly outside the window: we cannot tell how many fell inside.
      return inside ? MET : INDETERMINATE;
    }
  }
}

/** Evaluates one condition: UNKNOWN (never a silent NOT_MET) when the field is withheld or missing. */
export function evaluateCondition(condition: ProgramCondition, view: ClaimantView, at: Date): ConditionEvaluation {
  const field = CONDITION_FIELD[condition.kind];
  const base = { name: condition.name, kind: condition.kind, field };
  const value = condition.kind === 'hoursAtLeast' && view.employment && view.employment.length > 0 ? view.employment : view[field];
  if (value === undefined || value === null) {
    return { ...base, result: 'UNKNOWN', unknownReason: isWithheld(view, field) ? 'withheld' : 'missing' };
  }
  return { ...base, ...judge(condition, view, at) };
}

/** ELIGIBLE only when all MET; NOT_ELIGIBLE when any NOT_MET; otherwise UNDETERMINED. */
export function combineOutcome(results: readonly ConditionResult[]): EligibilityOutcome {
  if (results.some((r) => r === 'NOT_MET')) return 'NOT_ELIGIBLE';
  if (results.every((r) => r === 'MET')) return 'ELIGIBLE';
  return 'UNDETERMINED';
}

/**
 * Pure: evaluates a (validated) program against what a caller may see of one claimant, at an
 * instant (for "today" and for nothing else: the evaluator has no clock).
 */
export function evaluateProgram(program: ProgramDefinition, view: ClaimantView, at: Date, stream?: Pick<ResolvedStream, 'conditions'>): ProgramEvaluation {
  const conditions = conditionsOf(program, stream).map((c) => evaluateCondition(c, view, at));
  return { program: program.id, outcome: combineOutcome(conditions.map((c) => c.result)), conditions };
}

/** The claimant fields a program's conditions read (what an eligibility check discloses). */
export function programFields(program: ProgramDefinition, stream?: Pick<ResolvedStream, 'conditions'>): string[] {
  return [...new Set(conditionsOf(program, stream).map((c) => CONDITION_FIELD[c.kind]))].sort();
}

/** A stream's conditions (the program's included), or, without one, the program's first stream's. */
function conditionsOf(program: ProgramDefinition, stream?: Pick<ResolvedStream, 'conditions'>): ProgramCondition[] {
  return (stream ?? programStreams(program)[0]).conditions;
}

/** Is `at` within the program's capPeriod (inclusive UTC days)? Always true without one. */
export function programOpenOn(program: Pick<ProgramDefinition, 'capPeriod'>, at: Date): boolean {
  if (!program.capPeriod) return true;
  const day = dayOf(at);
  return program.capPeriod.from <= day && day <= program.capPeriod.to;
}
