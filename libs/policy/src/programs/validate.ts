import {
  CLAIM_STATUS_VALUES,
  CONDITION_KINDS,
  PROVINCE_CODES,
  SECTOR_VALUES,
  type ConditionKind,
  type ProgramDefinition,
} from './program.types';

/** One problem in a program definition: a JSON pointer into the registry document and a message. */
export interface ProgramProblem {
  pointer: string;
  message: string;
}

export class ProgramDefinitionError extends Error {
  constructor(readonly problems: ProgramProblem[]) {
    super(`invalid program definitions: ${problems.map((p) => `${p.pointer}: ${p.message}`).join('; ')}`);
    this.name = 'ProgramDefinitionError';
  }
}

export const PROGRAM_ID = /^[a-z0-9][a-z0-9-]{1,63}$/;
export const CONDITION_NAME = /^[a-z][A-Za-z0-9-]{0,63}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const NOC = /^[0-9]{5}$/;
/** The largest cap we accept: a typo guard, far above any real program (20,000 in 2021). */
export const MAX_CAP = 10_000_000;

const PROGRAM_KEYS = ['id', 'names', 'description', 'conditions', 'cap', 'capPeriod', 'pacing', 'waitlist', 'streams'];
const STREAM_KEYS = ['id', 'names', 'description', 'conditions', 'cap', 'window', 'pacing'];
const PACING_KEYS = ['period', 'perPeriod', 'carryOver'];
const PARAMS: Record<ConditionKind, string[]> = {
  nocCodeIn: ['codes'],
  sectorIn: ['sectors'],
  hoursAtLeast: ['hours', 'from', 'to'],
  claimStatusIn: ['statuses'],
  claimStatusNotIn: ['statuses'],
  permitValidOn: ['date'],
  frenchLevelAtLeast: ['level'],
  provinceIn: ['provinces'],
};

type Loose = Record<string, unknown>;
const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

export function isCalendarDay(s: unknown): s is string {
  if (typeof s !== 'string' || !DAY.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/**
 * Pure: every problem in the registry's `programs` array, with JSON pointers under `/programs`.
 * Defensive: takes anything (runs on documents that may also fail the JSON Schema).
 */
export function programProblems(programs: unknown, base = '/programs'): ProgramProblem[] {
  const out: ProgramProblem[] = [];
  if (programs === undefined) return out;
  if (!Array.isArray(programs)) return [{ pointer: base, message: 'programs must be an array of program definitions' }];
  const ids = new Set<string>();
  programs.forEach((program, i) => {
    const at = `${base}/${i}`;
    if (!isObject(program)) {
      out.push({ pointer: at, message: 'a program must be an object {id, names, conditions, cap, capPeriod}' });
      return;
    }
    const label = typeof program.id === 'string' ? `program '${program.id}'` : `program #${i}`;
    const problem = (pointer: string, message: string) => out.push({ pointer, message: `${label}: ${message}` });

    for (const key of Object.keys(program)) {
      if (!PROGRAM_KEYS.includes(key)) problem(`${at}/${key}`, `unknown property '${key}' (allowed: ${PROGRAM_KEYS.join(', ')})`);
    }
    if (typeof program.id !== 'string' || !PROGRAM_ID.test(program.id)) {
      problem(`${at}/id`, `id must be 2–64 lowercase letters, digits or '-', starting with a letter or digit (got ${show(program.id)})`);
    } else if (ids.has(program.id)) {
      out.push({ pointer: `${at}/id`, message: `duplicate program id '${program.id}'` });
    } else ids.add(program.id);

    out.push(...namesProblems(program.names, `${at}/names`, label));
    if ('description' in program && typeof program.description !== 'string') problem(`${at}/description`, 'description must be a string');
    if ('waitlist' in program && typeof program.waitlist !== 'boolean') problem(`${at}/waitlist`, `waitlist must be true or false (got ${show(program.waitlist)})`);

    if ('streams' in program) {
      for (const key of ['cap', 'capPeriod', 'pacing']) {
        if (key in program) problem(`${at}/${key}`, `${key} belongs to each stream when the program has streams: remove it here`);
      }
      if (!Array.isArray(program.conditions)) problem(`${at}/conditions`, 'conditions must be an array (the conditions common to every stream; may be empty)');
      const common = Array.isArray(program.conditions) ? program.conditions : [];
      const commonNames = conditionProblems(common, `${at}/conditions`, label, out);
      if (!Array.isArray(program.streams) || program.streams.length === 0) {
        problem(`${at}/streams`, 'streams must be a non-empty array of streams {id, names, conditions, cap, window, pacing}');
        return;
      }
      const streamIds = new Set<string>();
      program.streams.forEach((stream, s) => {
        const sat = `${at}/streams/${s}`;
        if (!isObject(stream)) {
          problem(sat, `stream #${s} must be an object {id, names, conditions, cap, window, pacing}`);
          return;
        }
        const sLabel = `${label}: ${typeof stream.id === 'string' ? `stream '${stream.id}'` : `stream #${s}`}`;
        const sProblem = (pointer: string, message: string) => out.push({ pointer, message: `${sLabel}: ${message}` });
        for (const key of Object.keys(stream)) {
          if (!STREAM_KEYS.includes(key)) sProblem(`${sat}/${key}`, `unknown property '${key}' (allowed: ${STREAM_KEYS.join(', ')})`);
        }
        if (typeof stream.id !== 'string' || !PROGRAM_ID.test(stream.id)) sProblem(`${sat}/id`, `id must be 2–64 lowercase letters, digits or '-' (got ${show(stream.id)})`);
        else if (streamIds.has(stream.id)) sProblem(`${sat}/id`, 'duplicate stream id in this program');
        else streamIds.add(stream.id);
        out.push(...namesProblems(stream.names, `${sat}/names`, sLabel));
        if ('description' in stream && typeof stream.description !== 'string') sProblem(`${sat}/description`, 'description must be a string');
        capProblems(stream, 'window', sat, sProblem, sLabel, out);
        if (!Array.isArray(stream.conditions)) {
          sProblem(`${sat}/conditions`, "conditions must be an array (the stream's own conditions, added to the program's)");
          return;
        }
        if (stream.conditions.length === 0 && common.length === 0) {
          sProblem(`${sat}/conditions`, 'this stream has no condition and neither has the program: everyone would be eligible');
        }
        conditionProblems(stream.conditions, `${sat}/conditions`, sLabel, out, commonNames);
      });
      return;
    }

    capProblems(program, 'capPeriod', at, problem, label, out);
    if (!Array.isArray(program.conditions) || program.conditions.length === 0) {
      problem(`${at}/conditions`, 'conditions must be a non-empty array (a program without conditions would make everyone eligible)');
      return;
    }
    conditionProblems(program.conditions, `${at}/conditions`, label, out);
  });
  return out;
}

function namesProblems(names: unknown, at: string, label: string): ProgramProblem[] {
  if (!isObject(names)) return [{ pointer: at, message: `${label}: names must be an object {en, fr}` }];
  const out: ProgramProblem[] = [];
  for (const lang of ['en', 'fr']) {
    const n = names[lang];
    if (typeof n !== 'string' || n.trim() === '') out.push({ pointer: `${at}/${lang}`, message: `${label}: names.${lang} must be a non-empty string` });
  }
  for (const key of Object.keys(names)) {
    if (key !== 'en' && key !== 'fr') out.push({ pointer: `${at}/${key}`, message: `${label}: unknown language '${key}' in names (allowed: en, fr)` });
  }
  return out;
}

/** cap, its window (`capPeriod` on a program, `window` on a stream) and pacing. */
function capProblems(holder: Loose, windowKey: 'capPeriod' | 'window', at: string, problem: (pointer: string, message: string) => void, label: string, out: ProgramProblem[]) {
  if (!('cap' in holder)) problem(`${at}`, 'cap is missing: give a whole number of places, or null for no cap');
  else if (holder.cap !== null && (!Number.isInteger(holder.cap) || (holder.cap as number) < 1 || (holder.cap as number) > MAX_CAP)) {
    problem(`${at}/cap`, `cap must be null (no cap) or a whole number from 1 to ${MAX_CAP} (got ${show(holder.cap)})`);
  }
  if (!(windowKey in holder)) problem(`${at}`, `${windowKey} is missing: give {from, to} (YYYY-MM-DD, inclusive) or null`);
  else if (holder[windowKey] !== null) out.push(...periodProblems(holder[windowKey], `${at}/${windowKey}`, label, windowKey));
  if (!('pacing' in holder) || holder.pacing === null) return;
  const pacing = holder.pacing;
  const pat = `${at}/pacing`;
  if (!isObject(pacing)) {
    problem(pat, 'pacing must be null or an object {period: "programmeYear", perPeriod, carryOver}');
    return;
  }
  for (const key of Object.keys(pacing)) if (!PACING_KEYS.includes(key)) problem(`${pat}/${key}`, `unknown property '${key}' in pacing (allowed: ${PACING_KEYS.join(', ')})`);
  if (pacing.period !== 'programmeYear') problem(`${pat}/period`, `pacing period must be "programmeYear" (years counted from the first day of the ${windowKey}; got ${show(pacing.period)})`);
  if (!Number.isInteger(pacing.perPeriod) || (pacing.perPeriod as number) < 1 || (pacing.perPeriod as number) > MAX_CAP) {
    problem(`${pat}/perPeriod`, `perPeriod must be a whole number of places from 1 to ${MAX_CAP} (got ${show(pacing.perPeriod)})`);
  } else if (Number.isInteger(holder.cap) && (holder.cap as number) >= 1 && (pacing.perPeriod as number) > (holder.cap as number)) {
    problem(`${pat}/perPeriod`, `perPeriod (${pacing.perPeriod}) is more than the whole cap (${holder.cap})`);
  }
  if (typeof pacing.carryOver !== 'boolean') problem(`${pat}/carryOver`, `carryOver must be true (unused places pass to the next year) or false (got ${show(pacing.carryOver)})`);
  if (holder[windowKey] === null || holder[windowKey] === undefined) problem(pat, `pacing needs a ${windowKey}: programme years are counted from its first day`);
}

/** Checks conditions; returns their names (unique across `taken`, the program's common conditions). */
function conditionProblems(conditions: unknown[], base: string, label: string, out: ProgramProblem[], taken: ReadonlySet<string> = new Set()): Set<string> {
  const problem = (pointer: string, message: string) => out.push({ pointer, message: `${label}: ${message}` });
  const names = new Set<string>();
  conditions.forEach((condition, c) => {
    const cat = `${base}/${c}`;
    if (!isObject(condition)) {
      problem(cat, `condition #${c} must be an object {name, kind, ...parameters}`);
      return;
    }
    const cLabel = typeof condition.name === 'string' ? `condition '${condition.name}'` : `condition #${c}`;
    const cProblem = (pointer: string, message: string) => problem(pointer, `${cLabel}: ${message}`);
    if (typeof condition.name !== 'string' || !CONDITION_NAME.test(condition.name)) {
      cProblem(`${cat}/name`, `name must start with a lowercase letter and hold only letters, digits or '-' (at most 64; got ${show(condition.name)})`);
    } else if (names.has(condition.name)) cProblem(`${cat}/name`, 'duplicate condition name in this program');
    else if (taken.has(condition.name)) cProblem(`${cat}/name`, "duplicate condition name: the program's common conditions already use it");
    else names.add(condition.name);
    const kind = condition.kind as ConditionKind;
    if (typeof condition.kind !== 'string' || !CONDITION_KINDS.includes(kind)) {
      cProblem(`${cat}/kind`, `kind must be one of ${CONDITION_KINDS.join(', ')} (got ${show(condition.kind)})`);
      return;
    }
    for (const key of Object.keys(condition)) {
      if (key !== 'name' && key !== 'kind' && !PARAMS[kind].includes(key)) {
        cProblem(`${cat}/${key}`, `unknown parameter '${key}' for kind ${kind} (expected: ${PARAMS[kind].join(', ')})`);
      }
    }
    const list = (key: string, allowed: readonly string[] | RegExp, what: string, one: string) => {
      const v = condition[key];
      if (!Array.isArray(v) || v.length === 0) {
        cProblem(`${cat}/${key}`, `${key} must be a non-empty array of ${what}`);
        return;
      }
      const seen = new Set<unknown>();
      v.forEach((item, j) => {
        const ok = typeof item === 'string' && (allowed instanceof RegExp ? allowed.test(item) : allowed.includes(item));
        if (!ok) cProblem(`${cat}/${key}/${j}`, `${show(item)} is not ${one}${allowed instanceof RegExp ? '' : ` (allowed: ${allowed.join(', ')})`}`);
        else if (seen.has(item)) cProblem(`${cat}/${key}/${j}`, `${show(item)} is listed twice`);
        seen.add(item);
      });
    };
    switch (kind) {
      case 'nocCodeIn':
        list('codes', NOC, 'NOC 2021 codes of 5 digits', 'a NOC 2021 code of 5 digits');
        break;
      case 'sectorIn':
        list('sectors', SECTOR_VALUES, 'sectors', 'a sector');
        break;
      case 'claimStatusIn':
      case 'claimStatusNotIn':
        list('statuses', CLAIM_STATUS_VALUES, 'claim statuses', 'a claim status');
        break;
      case 'provinceIn':
        list('provinces', PROVINCE_CODES, 'province or territory codes', 'a province or territory code');
        break;
      case 'frenchLevelAtLeast':
        if (!Number.isInteger(condition.level) || (condition.level as number) < 1 || (condition.level as number) > 12) {
          cProblem(`${cat}/level`, `level must be a whole NCLC level from 1 to 12 (got ${show(condition.level)})`);
        }
        break;
      case 'permitValidOn':
        if (condition.date !== 'today' && !isCalendarDay(condition.date)) {
          cProblem(`${cat}/date`, `date must be "today" or a calendar day written YYYY-MM-DD (got ${show(condition.date)})`);
        }
        break;
      case 'hoursAtLeast':
        if (!Number.isInteger(condition.hours) || (condition.hours as number) < 1 || (condition.hours as number) > 100_000) {
          cProblem(`${cat}/hours`, `hours must be a whole number of hours from 1 to 100000 (got ${show(condition.hours)})`);
        }
        out.push(...periodProblems({ from: condition.from, to: condition.to }, cat, `${label}: ${cLabel}`, 'the hours window'));
        break;
    }
  });
  return names;
}

function periodProblems(period: unknown, at: string, label: string, what: string): ProgramProblem[] {
  if (!isObject(period)) return [{ pointer: at, message: `${label}: ${what} must be an object {from, to} (YYYY-MM-DD, inclusive) or null` }];
  const out: ProgramProblem[] = [];
  for (const side of ['from', 'to'] as const) {
    if (!isCalendarDay(period[side])) out.push({ pointer: `${at}/${side}`, message: `${label}: ${what} ${side} must be a calendar day written YYYY-MM-DD (got ${show(period[side])})` });
  }
  if (isCalendarDay(period.from) && isCalendarDay(period.to) && period.from > period.to) {
    out.push({ pointer: `${at}/to`, message: `${label}: ${what} ends (${period.to}) before it starts (${period.from})` });
  }
  return out;
}

/** Validates and returns the typed programs; throws ProgramDefinitionError naming every problem. */
export function parsePrograms(programs: unknown): ProgramDefinition[] {
  const problems = programProblems(programs);
  if (problems.length > 0) throw new ProgramDefinitionError(problems);
  return (programs ?? []) as ProgramDefinition[];
}
