import { UNKNOWN_CATEGORY } from '../statistics/statistics';
import { evaluateProgram } from './evaluate';
import { programStreams } from './pacing';
import { programProblems } from './validate';
import type { ClaimantView, ProgramCondition, ProgramDefinition } from './program.types';

/**
 * The empty-spots question (issue 17): how many claimants meet a stream's conditions on what the
 * caller's agreements cover and have not applied, and how a rule change would move that. Pure:
 * it classifies and counts; protection is release-audit.ts's job (every count leaves through it).
 */
export const EMPTY_SPOT_DIMENSIONS = ['province', 'noc', 'claimStatus'] as const;
export type EmptySpotDimension = (typeof EMPTY_SPOT_DIMENSIONS)[number];
export const EMPTY_SPOT_FIELD: Readonly<Record<EmptySpotDimension, 'province' | 'nocCode' | 'claimStatus'>> = { province: 'province', noc: 'nocCode', claimStatus: 'claimStatus' };

/** One claimant of the population: what the caller's agreements let be counted, and whether they applied to the program. */
export interface CountedClaimant {
  view: ClaimantView;
  applied: boolean;
}

/** What a table counts. */
export type SpotMeasure = 'ELIGIBLE_NOT_APPLIED' | 'UNDETERMINED_NOT_APPLIED' | 'ELIGIBLE';

export interface SpotCellKey {
  province: string | null;
  noc: string | null;
  claimStatus: string | null;
  measure: SpotMeasure;
  /** UNDETERMINED: the field(s) whose absence left the outcome open, `+`-joined in order */
  field: string | null;
}

/** One counted table: a partition of the claimants it counts into cells. */
export interface SpotTable {
  cells: SpotCellKey[];
  counts: number[];
  /** membership[i]: the cell of claimant i, or -1 */
  membership: Int32Array;
}



/** The two classifications of a stream's conditions over a population: not-applied (eligible and undetermined) and eligible (applied or not). */
export function countSpots(population: readonly CountedClaimant[], conditions: ProgramCondition[], at: Date, groupBy: readonly EmptySpotDimension[]): { notApplied: SpotTable; eligible: SpotTable } {
  const dims = EMPTY_SPOT_DIMENSIONS.filter((d) => groupBy.includes(d));
  const stream = { conditions };
  const probe: ProgramDefinition = { id: 'probe', names: { en: '', fr: '' }, conditions };
  const tables = { notApplied: table(population.length), eligible: table(population.length) };
  population.forEach((c, i) => {
    const r = evaluateProgram(probe, c.view, at, stream);
    if (r.outcome === 'NOT_ELIGIBLE') return;
    const group = {
      province: dims.includes('province') ? (c.view.province ?? UNKNOWN_CATEGORY) : null,
      noc: dims.includes('noc') ? (c.view.nocCode ?? UNKNOWN_CATEGORY) : null,
      claimStatus: dims.includes('claimStatus') ? (c.view.claimStatus ?? UNKNOWN_CATEGORY) : null,
    };
    if (r.outcome === 'ELIGIBLE') tables.eligible.put(i, { ...group, measure: 'ELIGIBLE', field: null });
    if (c.applied) return;
    if (r.outcome === 'ELIGIBLE') tables.notApplied.put(i, { ...group, measure: 'ELIGIBLE_NOT_APPLIED', field: null });
    else {
      const fields = [...new Set(r.conditions.filter((x) => x.result === 'UNKNOWN').map((x) => x.field))].join('+');
      tables.notApplied.put(i, { ...group, measure: 'UNDETERMINED_NOT_APPLIED', field: fields });
    }
  });
  return { notApplied: tables.notApplied.done(), eligible: tables.eligible.done() };
}

function table(n: number) {
  const ids = new Map<string, number>();
  const cells: SpotCellKey[] = [];
  const counts: number[] = [];
  const membership = new Int32Array(n).fill(-1);
  return {
    put(i: number, key: SpotCellKey) {
      const id = `${key.province ?? '*'}|${key.noc ?? '*'}|${key.claimStatus ?? '*'}|${key.measure}|${key.field ?? ''}`;
      let k = ids.get(id);
      if (k === undefined) {
        ids.set(id, (k = cells.length));
        cells.push(key);
        counts.push(0);
      }
      counts[k]++;
      membership[i] = k;
    },
    done(): SpotTable {
      return { cells, counts, membership };
    },
  };
}

/** A what-if: conditions removed by name, and conditions set (replacing the one of the same name, or added to the stream). */
export interface RuleChange {
  remove?: readonly string[];
  set?: readonly ProgramCondition[];
}

/**
 * The program as it would read after `change` to `streamId` (the program's common conditions are
 * changed in place when the name is there). Throws with every problem when the result is not a
 * valid program (the registry check's rules).
 */
export function applyRuleChange(program: ProgramDefinition, streamId: string, change: RuleChange): ProgramDefinition {
  const out: ProgramDefinition = JSON.parse(JSON.stringify(program));
  const remove = new Set(change.remove ?? []);
  const sets = new Map((change.set ?? []).map((c) => [c.name, c]));
  const stream = out.streams?.find((s) => s.id === streamId);
  if (out.streams && !stream) throw new Error(`program '${program.id}' has no stream '${streamId}'`);
  const known = new Set([...out.conditions, ...(stream?.conditions ?? [])].map((c) => c.name));
  const unknown = [...remove].filter((n) => !known.has(n));
  if (unknown.length > 0) throw new Error(`no condition named ${unknown.join(', ')} in program '${program.id}' stream '${streamId}'`);
  const edit = (list: ProgramCondition[]) => list.filter((c) => !remove.has(c.name)).map((c) => sets.get(c.name) ?? c);
  out.conditions = edit(out.conditions);
  if (stream) stream.conditions = edit(stream.conditions);
  const added = [...sets.values()].filter((c) => !known.has(c.name));
  (stream ? stream.conditions : out.conditions).push(...added);
  const problems = programProblems([out]);
  if (problems.length > 0) throw new Error(problems.map((p) => `${p.pointer.replace(/^\/programs\/0/, '')}: ${p.message}`).join('; '));
  return out;
}

/** The conditions a stream of a (validated) program applies: the program's and the stream's. */
export function streamConditions(program: ProgramDefinition, streamId: string): ProgramCondition[] {
  const s = programStreams(program).find((x) => x.id === streamId);
  if (!s) throw new Error(`program '${program.id}' has no stream '${streamId}'`);
  return s.conditions;
}
