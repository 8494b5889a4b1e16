import type { ConditionEvaluation, ProgramEvaluation } from './program.types';

/**
 * Reasons people can act on (issue 17). Pure. For every condition of an evaluation that is not
 * MET, what would decide it: the field, the provider(s) that hold or could supply it, and what is
 * missing: an AGREEMENT (none in force gives the caller the field for its purpose), the claimant's
 * CONSENT (a provider holds a value, refused for want of consent), DATA (no provider the caller
 * may read holds it), or nothing (NOT_MET on a value: only a correction by its provider changes it).
 */
export type MissingKind = 'AGREEMENT' | 'CONSENT' | 'DATA' | 'NONE';

/** What the gateway knows of one field for this caller and claimant. */
export interface FieldSituation {
  /** providers whose agreement in force covers the field for the caller's purpose */
  covering: readonly string[];
  /** the provider whose value was used, when one was */
  usedFrom?: string | null;
  /** covering providers holding a value that was refused for want of consent */
  consentMissingFrom: readonly string[];
  /** providers the registry names as supplying the field (to anyone): whom an agreement could be with */
  knownSuppliers: readonly string[];
  /** why the field is out of reach when no agreement covers it (no_agreement, purpose_not_covered, ...) */
  agreementReason?: string | null;
}

export interface DecidingReason {
  condition: string;
  field: string;
  result: ConditionEvaluation['result'];
  missing: MissingKind;
  /** the provider(s) that hold the field or could supply it */
  providers: string[];
  /** in words, for the caseworker */
  action: string;
}

export function decidingReasons(evaluation: ProgramEvaluation, situations: Readonly<Record<string, FieldSituation | undefined>>, caller: { agency: string; purpose: string }): DecidingReason[] {
  const out: DecidingReason[] = [];
  for (const c of evaluation.conditions) {
    if (c.result === 'MET') continue;
    const s = situations[c.field] ?? { covering: [], consentMissingFrom: [], knownSuppliers: [] };
    const base = { condition: c.name, field: c.field, result: c.result };
    if (c.result === 'NOT_MET' || c.unknownReason === 'indeterminate') {
      const from = s.usedFrom ? [s.usedFrom] : [...s.covering];
      const what = c.result === 'NOT_MET' ? `the value of ${c.field} does not meet '${c.name}'` : `the ${c.field} reported cannot decide '${c.name}' (its period straddles the window)`;
      out.push({ ...base, missing: c.result === 'NOT_MET' ? 'NONE' : 'DATA', providers: from, action: `${what}; only ${from.join(', ') || 'its provider'} can correct or detail it` });
    } else if (s.consentMissingFrom.length > 0) {
      out.push({
        ...base,
        missing: 'CONSENT',
        providers: [...s.consentMissingFrom],
        action: `${s.consentMissingFrom.join(', ')} hold(s) ${c.field}: the claimant's consent for ${caller.purpose} to ${caller.agency} would let it decide '${c.name}'`,
      });
    } else if (s.covering.length === 0) {
      out.push({
        ...base,
        missing: 'AGREEMENT',
        providers: [...s.knownSuppliers],
        action: `no agreement in force gives ${caller.agency} ${c.field} for ${caller.purpose}${s.agreementReason ? ` (${s.agreementReason})` : ''}; an agreement with ${s.knownSuppliers.join(' or ') || 'a provider that supplies it'} would`,
      });
    } else {
      out.push({ ...base, missing: 'DATA', providers: [...s.covering], action: `none of ${s.covering.join(', ')} holds ${c.field} for this claimant: a record from one of them would decide '${c.name}'` });
    }
  }
  return out;
}
