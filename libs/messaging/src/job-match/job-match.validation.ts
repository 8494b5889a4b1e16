import type * as jobbank from './job-match.proto';

/**
 * The rules every job-match event obeys, whether it comes from an NDJSON file (the publisher's
 * batch job) or off the wire (the consumer). Pure. Problems name the field and the rule, never
 * the offending value (a value could be something that must not be echoed into logs or a DLQ).
 */
export interface FieldProblem {
  field: string;
  problem: string;
}

export const PROVINCES = ['AB', 'BC', 'MB', 'NB', 'NL', 'NS', 'NT', 'NU', 'ON', 'PE', 'QC', 'SK', 'YT'] as const;
export type Province = (typeof PROVINCES)[number];

export const LANGUAGE_REQUIREMENTS = ['EN', 'FR', 'EN_OR_FR', 'EN_AND_FR'] as const;
export type LanguageRequirement = (typeof LANGUAGE_REQUIREMENTS)[number];

const TOKEN = /^[A-Za-z0-9._:-]{1,128}$/;
const PSEUDONYM = /^[A-Za-z0-9_-]{1,128}$/;
const NOC = /^[0-9]{5}$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

/** True for an RFC 3339 date-time with an explicit offset that names a real instant. */
export function isRfc3339(value: string): boolean {
  const m = RFC3339.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return false;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false;
  return true;
}

const isLevel = (v: number) => Number.isInteger(v) && v >= 1 && v <= 12;

function checkText(out: FieldProblem[], field: string, value: string, max: number): void {
  if (value.trim() === '') out.push({ field, problem: `${field} is required` });
  else if ([...value].length > max) out.push({ field, problem: `${field} must be at most ${max} characters` });
  // eslint-disable-next-line no-control-regex
  else if (/[\u0000-\u001f\u007f]/.test(value)) out.push({ field, problem: `${field} must not contain control characters` });
}

/** Every rule broken by a decoded event; [] when it is valid. */
export function validateJobMatchEvent(event: jobbank.JobMatchEvent): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (!TOKEN.test(event.eventId)) out.push({ field: 'eventId', problem: 'eventId must be 1-128 characters of A-Z a-z 0-9 . _ : -' });
  if (!TOKEN.test(event.batchId)) out.push({ field: 'batchId', problem: 'batchId must be 1-128 characters of A-Z a-z 0-9 . _ : -' });
  if (!PSEUDONYM.test(event.pseudonym)) out.push({ field: 'pseudonym', problem: 'pseudonym must be 1-128 base64url characters' });
  if (typeof event.score !== 'number' || !Number.isFinite(event.score) || event.score < 0 || event.score > 1) {
    out.push({ field: 'score', problem: 'score must be a number from 0 to 1' });
  }
  if (!isRfc3339(event.matchedAt)) out.push({ field: 'matchedAt', problem: 'matchedAt must be an RFC 3339 date-time with offset, e.g. 2026-03-01T12:00:00Z' });
  const p = event.posting;
  if (!p) {
    out.push({ field: 'posting', problem: 'posting is required' });
    return out;
  }
  if (!TOKEN.test(p.id)) out.push({ field: 'posting.id', problem: 'posting.id must be 1-128 characters of A-Z a-z 0-9 . _ : -' });
  checkText(out, 'posting.title', p.title, 200);
  if (!NOC.test(p.nocCode)) out.push({ field: 'posting.nocCode', problem: 'posting.nocCode must be a NOC 2021 code of exactly 5 digits' });
  if (!(PROVINCES as readonly string[]).includes(p.province)) {
    out.push({ field: 'posting.province', problem: `posting.province must be one of ${PROVINCES.join(' ')}` });
  }
  checkText(out, 'posting.city', p.city, 100);
  if (!Number.isSafeInteger(p.hourlyWageCents) || p.hourlyWageCents < 0) {
    out.push({ field: 'posting.hourlyWageCents', problem: 'posting.hourlyWageCents must be a whole number of cents, 0 or more' });
  }
  if (!(LANGUAGE_REQUIREMENTS as readonly string[]).includes(p.languageRequirement)) {
    out.push({ field: 'posting.languageRequirement', problem: `posting.languageRequirement must be one of ${LANGUAGE_REQUIREMENTS.join(' ')}` });
  }
  if (p.postedAt !== '' && !isRfc3339(p.postedAt)) {
    out.push({ field: 'posting.postedAt', problem: 'posting.postedAt must be an RFC 3339 date-time with offset when given' });
  }
  // Absent = no minimum (proto3 optional); present, a level of its scale (issue 16).
  if (p.minEnglishClb !== undefined && !isLevel(p.minEnglishClb)) {
    out.push({ field: 'posting.minEnglishClb', problem: 'posting.minEnglishClb must be a whole CLB level from 1 to 12 when given' });
  }
  if (p.minFrenchNclc !== undefined && !isLevel(p.minFrenchNclc)) {
    out.push({ field: 'posting.minFrenchNclc', problem: 'posting.minFrenchNclc must be a whole NCLC level from 1 to 12 when given' });
  }
  return out;
}

type Kind = 'string' | 'number' | 'integer' | 'object';
const EVENT_SHAPE: Record<string, { kind: Kind; required: boolean }> = {
  eventId: { kind: 'string', required: true },
  batchId: { kind: 'string', required: true },
  pseudonym: { kind: 'string', required: true },
  posting: { kind: 'object', required: true },
  score: { kind: 'number', required: true },
  matchedAt: { kind: 'string', required: true },
};
const POSTING_SHAPE: Record<string, { kind: Kind; required: boolean }> = {
  id: { kind: 'string', required: true },
  title: { kind: 'string', required: true },
  nocCode: { kind: 'string', required: true },
  province: { kind: 'string', required: true },
  city: { kind: 'string', required: true },
  hourlyWageCents: { kind: 'integer', required: true },
  languageRequirement: { kind: 'string', required: true },
  postedAt: { kind: 'string', required: false },
  minEnglishClb: { kind: 'integer', required: false },
  minFrenchNclc: { kind: 'integer', required: false },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkShape(out: FieldProblem[], prefix: string, value: Record<string, unknown>, shape: Record<string, { kind: Kind; required: boolean }>): void {
  for (const key of Object.keys(value)) {
    if (!(key in shape)) out.push({ field: `${prefix}${key}`, problem: `unknown field ${prefix}${key} (expected ${Object.keys(shape).join(', ')})` });
  }
  for (const [key, { kind, required }] of Object.entries(shape)) {
    const field = `${prefix}${key}`;
    const v = value[key];
    if (v === undefined || v === null) {
      if (required) out.push({ field, problem: `${field} is required` });
      continue;
    }
    const ok =
      kind === 'string' ? typeof v === 'string' : kind === 'number' ? typeof v === 'number' : kind === 'integer' ? typeof v === 'number' && Number.isInteger(v) : isObject(v);
    if (!ok) out.push({ field, problem: `${field} must be ${kind === 'integer' ? 'a whole number' : kind === 'object' ? 'an object' : `a ${kind}`}` });
  }
}

/**
 * Reads one NDJSON record (already JSON-parsed) into an event: the proto3 JSON field names
 * (camelCase), exact types, no unknown fields, then every rule of validateJobMatchEvent.
 */
export function jobMatchFromJson(value: unknown): { event?: jobbank.JobMatchEvent; problems: FieldProblem[] } {
  if (!isObject(value)) return { problems: [{ field: '', problem: 'a record must be a JSON object' }] };
  const problems: FieldProblem[] = [];
  checkShape(problems, '', value, EVENT_SHAPE);
  if (isObject(value.posting)) checkShape(problems, 'posting.', value.posting, POSTING_SHAPE);
  if (problems.length > 0) return { problems };
  const posting = value.posting as Record<string, unknown>;
  const event: jobbank.JobMatchEvent = {
    eventId: value.eventId as string,
    batchId: value.batchId as string,
    pseudonym: value.pseudonym as string,
    score: value.score as number,
    matchedAt: value.matchedAt as string,
    posting: {
      id: posting.id as string,
      title: posting.title as string,
      nocCode: posting.nocCode as string,
      province: posting.province as string,
      city: posting.city as string,
      hourlyWageCents: posting.hourlyWageCents as number,
      languageRequirement: posting.languageRequirement as string,
      postedAt: (posting.postedAt as string | undefined) ?? '',
      ...(posting.minEnglishClb !== undefined && posting.minEnglishClb !== null ? { minEnglishClb: posting.minEnglishClb as number } : {}),
      ...(posting.minFrenchNclc !== undefined && posting.minFrenchNclc !== null ? { minFrenchNclc: posting.minFrenchNclc as number } : {}),
    },
  };
  const rules = validateJobMatchEvent(event);
  return rules.length > 0 ? { problems: rules } : { event, problems: [] };
}

export interface NdjsonProblem {
  line: number;
  problem: string;
}

/**
 * Validates a whole NDJSON file's text: every line a valid event, event ids unique in the file.
 * Blank lines are skipped (they still count for line numbers). Returns the events in order and
 * every problem as `line N: problem`-ready pairs; publish only when problems is empty.
 */
export function parseJobMatchNdjson(text: string): { events: Array<{ line: number; event: jobbank.JobMatchEvent }>; problems: NdjsonProblem[] } {
  const events: Array<{ line: number; event: jobbank.JobMatchEvent }> = [];
  const problems: NdjsonProblem[] = [];
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i].replace(/\r$/, '');
    if (raw.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // JSON.parse's message quotes the input: say only what is wrong, not what was there.
      problems.push({ line: lineNo, problem: 'not valid JSON' });
      continue;
    }
    const { event, problems: found } = jobMatchFromJson(parsed);
    for (const p of found) problems.push({ line: lineNo, problem: p.problem });
    if (!event) continue;
    const first = seen.get(event.eventId);
    if (first !== undefined) {
      problems.push({ line: lineNo, problem: `eventId repeats the eventId of line ${first}` });
      continue;
    }
    seen.set(event.eventId, lineNo);
    events.push({ line: lineNo, event });
  }
  if (events.length === 0 && problems.length === 0) problems.push({ line: 0, problem: 'the file holds no events' });
  return { events, problems };
}
