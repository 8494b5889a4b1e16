import { IMPLICIT_STREAM, type DayWindow, type Pacing, type ProgramCondition, type ProgramDefinition } from './program.types';

/**
 * Streams, programme years and places: pure. The repository locks a stream's counters, reads
 * them into `StreamCounters`, asks `decideApplication` / `promotionsDue`, then writes; the rule
 * never lives in SQL (EXAMPLES.md §3).
 */

/** A stream with the program's common conditions folded in: what an application is judged against. */
export interface ResolvedStream {
  program: string;
  id: string;
  names: { en: string; fr: string };
  conditions: ProgramCondition[];
  cap: number | null;
  window: DayWindow | null;
  pacing: Pacing | null;
  waitlist: boolean;
}

/** The streams of a (validated) program; a program without streams has one, `main`. */
export function programStreams(program: ProgramDefinition): ResolvedStream[] {
  const waitlist = program.waitlist === true;
  if (!program.streams) {
    return [
      {
        program: program.id,
        id: IMPLICIT_STREAM,
        names: program.names,
        conditions: program.conditions,
        cap: program.cap ?? null,
        window: program.capPeriod ?? null,
        pacing: program.pacing ?? null,
        waitlist,
      },
    ];
  }
  return program.streams.map((s) => ({
    program: program.id,
    id: s.id,
    names: s.names,
    conditions: [...program.conditions, ...s.conditions],
    cap: s.cap,
    window: s.window,
    pacing: s.pacing ?? null,
    waitlist,
  }));
}

/** The stream by id; without an id, the program's only stream (undefined when it has several). */
export function findStream(program: ProgramDefinition, streamId: string | null | undefined): ResolvedStream | undefined {
  const streams = programStreams(program);
  if (streamId === null || streamId === undefined) return streams.length === 1 ? streams[0] : undefined;
  return streams.find((s) => s.id === streamId);
}

/** The id of the one period of an unpaced stream. */
export const WHOLE_WINDOW = 'all';

export interface Period {
  /** the first day of the programme year, or `all` for an unpaced stream */
  id: string;
  /** 0 for the first programme year */
  index: number;
  from: IsoDayOrNull;
  to: IsoDayOrNull;
}
type IsoDayOrNull = string | null;

function addYears(day: string, years: number): string {
  const [y, m, d] = day.split('-').map(Number);
  const t = new Date(Date.UTC(y + years, m - 1, d));
  // 29 February of a non-leap year: the year starts on 1 March.
  return t.toISOString().slice(0, 10);
}
function dayBefore(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

/** The programme year `index` of a paced stream (its last one ends with the window). */
export function periodAt(stream: Pick<ResolvedStream, 'window' | 'pacing'>, index: number): Period {
  if (!stream.pacing || !stream.window) return { id: WHOLE_WINDOW, index: 0, from: stream.window?.from ?? null, to: stream.window?.to ?? null };
  const from = addYears(stream.window.from, index);
  const next = dayBefore(addYears(stream.window.from, index + 1));
  return { id: from, index, from, to: next < stream.window.to ? next : stream.window.to };
}

/** The period a day falls in; null when the stream takes no applications that day (outside its window). */
export function periodOf(stream: Pick<ResolvedStream, 'window' | 'pacing'>, day: string): Period | null {
  if (stream.window && (day < stream.window.from || day > stream.window.to)) return null;
  if (!stream.pacing || !stream.window) return periodAt(stream, 0);
  let index = 0;
  while (addYears(stream.window.from, index + 1) <= day) index++;
  return periodAt(stream, index);
}

/** Every period of a stream, in order (one for an unpaced stream). */
export function periodsOf(stream: Pick<ResolvedStream, 'window' | 'pacing'>): Period[] {
  if (!stream.pacing || !stream.window) return [periodAt(stream, 0)];
  const out: Period[] = [];
  for (let i = 0; ; i++) {
    const p = periodAt(stream, i);
    if (p.from! > stream.window.to) return out;
    out.push(p);
  }
}

/** What the repository read, under the stream's lock. */
export interface StreamCounters {
  /** admissions in force (withdrawals subtracted), all periods */
  admitted: number;
  /** admissions in force per period id */
  admittedByPeriod: ReadonlyMap<string, number> | Record<string, number>;
  /** claimants waiting, in order */
  waitlisted: number;
}

const byPeriod = (c: StreamCounters, id: string): number => {
  const m = c.admittedByPeriod;
  return (m instanceof Map ? m.get(id) : (m as Record<string, number>)[id]) ?? 0;
};

/** Places this period may still admit (null: unlimited). */
export function placesLeft(stream: Pick<ResolvedStream, 'cap' | 'window' | 'pacing'>, period: Period, counters: StreamCounters): number | null {
  const total = stream.cap === null ? null : stream.cap - counters.admitted;
  let paced: number | null = null;
  if (stream.pacing && stream.window) {
    if (stream.pacing.carryOver) {
      let through = 0;
      for (let i = 0; i <= period.index; i++) through += byPeriod(counters, periodAt(stream, i).id);
      paced = stream.pacing.perPeriod * (period.index + 1) - through;
    } else paced = stream.pacing.perPeriod - byPeriod(counters, period.id);
  }
  const left = total === null ? paced : paced === null ? total : Math.min(total, paced);
  return left === null ? null : Math.max(0, left);
}

export type ApplicationDecision =
  | { status: 'APPLIED'; reason: string; period: Period }
  | { status: 'WAITLISTED'; reason: string; period: Period }
  | { status: 'CAP_REACHED'; reason: string; period: Period }
  | { status: 'CLOSED'; reason: string };

function fullReason(stream: ResolvedStream, period: Period, counters: StreamCounters): string {
  if (stream.cap !== null && counters.admitted >= stream.cap) return `stream '${stream.id}' of program '${stream.program}' has reached its cap of ${stream.cap} places`;
  if (stream.pacing) {
    return stream.pacing.carryOver
      ? `stream '${stream.id}' of program '${stream.program}' has admitted all ${stream.pacing.perPeriod * (period.index + 1)} places open up to the programme year from ${period.from} (${stream.pacing.perPeriod} a year, unused places carried over)`
      : `stream '${stream.id}' of program '${stream.program}' has admitted its ${stream.pacing.perPeriod} places for the programme year from ${period.from} to ${period.to}`;
  }
  return `stream '${stream.id}' of program '${stream.program}' has no place left`;
}

/**
 * Pure: what happens to a new, eligible applicant on `day`, given the counters read under the
 * stream's lock after due promotions. Waiting claimants come first: a free place goes to a new
 * applicant only when nobody waits.
 */
export function decideApplication(stream: ResolvedStream, day: string, counters: StreamCounters): ApplicationDecision {
  const period = periodOf(stream, day);
  if (!period) {
    return { status: 'CLOSED', reason: `stream '${stream.id}' of program '${stream.program}' takes applications from ${stream.window!.from} to ${stream.window!.to} only` };
  }
  const left = placesLeft(stream, period, counters);
  if ((left === null || left > 0) && counters.waitlisted === 0) return { status: 'APPLIED', reason: 'a place was free', period };
  const full = left === 0 ? fullReason(stream, period, counters) : `${counters.waitlisted} claimant(s) are already waiting for stream '${stream.id}' of program '${stream.program}'`;
  if (stream.waitlist) return { status: 'WAITLISTED', reason: `${full}; the claimant joins the waitlist`, period };
  return { status: 'CAP_REACHED', reason: full, period };
}

/**
 * Pure: how many waiting claimants to admit now (in order), on `day`: as many as there are
 * places this period, never past the cap. 0 outside the window.
 */
export function promotionsDue(stream: ResolvedStream, day: string, counters: StreamCounters): { count: number; period: Period | null } {
  const period = periodOf(stream, day);
  if (!period || counters.waitlisted === 0) return { count: 0, period };
  const left = placesLeft(stream, period, counters);
  return { count: left === null ? counters.waitlisted : Math.min(left, counters.waitlisted), period };
}
