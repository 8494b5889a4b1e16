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

const PROGRAM_KEYS = ['id', 'names', 'description', 'conditions', 'cap', 'capPeriod'];
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

    if (!isObject(program.names)) problem(`${at}/names`, 'names must be an object {en, fr}');
    else {
      for (const lang of ['en', 'fr']) {
        const n = program.names[lang];
        if (typeof n !== 'string' || n.trim() === '') problem(`${at}/names/${lang}`, `names.${lang} must be a non-empty string`);
      }
      for (const key of Object.keys(program.names)) {
        if (key !== 'en' && key !== 'fr') problem(`${at}/names/${key}`, `unknown language '${key}' in names (allowed: en, fr)`);
      }
    }
    if ('description' in program && typeof program.description !== 'string') problem(`${at}/description`, 'description must be a string');

    if (!('cap' in program)) problem(`${at}`, 'cap is missing: give a whole number of places, or null for no cap');
    else if (program.cap !== null && (!Number.isInteger(program.cap) || (program.cap as number) < 1 || (program.cap as number) > MAX_CAP)) {
      problem(`${at}/cap`, `cap must be null (no cap) or a whole number from 1 to ${MAX_CAP} (got ${show(program.cap)})`);
    }
    if (!('capPeriod' in program)) problem(`${at}`, 'capPeriod is missing: give {from, to} (YYYY-MM-DD, inclusive) or null');
    else if (program.capPeriod !== null) out.push(...periodProblems(program.capPeriod, `${at}/capPeriod`, label, 'capPeriod'));

    if (!Array.isArray(program.conditions) || program.conditions.length === 0) {
      problem(`${at}/conditions`, 'conditions must be a non-empty array (a program without conditions would make everyone eligible)');
      return;
    }
    const names = new Set<string>();
    program.conditions.forEach((condition, c) => {
      const cat = `${at}/conditions/${c}`;
      if (!isObject(condition)) {
        problem(cat, `condition #${c} must be an object {name, kind, ...parameters}`);
        return;
      }
      const cLabel = typeof condition.name === 'string' ? `condition '${condition.name}'` : `condition #${c}`;
      const cProblem = (pointer: string, message: string) => problem(pointer, `${cLabel}: ${message}`);
      if (typeof condition.name !== 'string' || !CONDITION_NAME.test(condition.name)) {
        cProblem(`${cat}/name`, `name must start with a lowercase letter and hold only letters, digits or '-' (at most 64; got ${show(condition.name)})`);
      } else if (names.has(condition.name)) cProblem(`${cat}/name`, 'duplicate condition name in this program');
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
  });
  return out;
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
