import type { DayWindow, IsoDay } from './program.types';

/**
 * Health-care employment as periods (issue 17): one row per claimant, provider, employer and
 * period. Pure. The rule (docs/programs.md, "Hours that add up"):
 *
 * 1. Only periods whose WORKSITE sector is health care count; the employer's own sector does not
 *    matter (a security firm's guard posted in a CHSLD worked in health care).
 * 2. A period's hours are spread evenly over its days (inclusive); a window takes the share of
 *    the days it covers (prorated). A period lying wholly inside the window counts in full.
 * 3. Different employers add up (two jobs are two jobs).
 * 4. For one employer, periods from DIFFERENT providers that overlap describe the same job: over
 *    the days they share, the higher daily rate counts, never the sum. Periods of one provider
 *    with one employer add up (a provider knows its own records: two contracts are two).
 */
export interface EmploymentPeriod {
  /** the provider that supplied the period */
  provider: string;
  /** the employer's keyed reference (never the raw business number), equal across providers */
  employer: string;
  employerSector: string;
  /** where the work was done */
  worksiteSector: string;
  start: IsoDay;
  end: IsoDay;
  hours: number;
}

export const HEALTH_CARE_WORKSITE = 'HEALTH_CARE';

const DAY_MS = 86_400_000;
/** Days since 1970-01-01 of a YYYY-MM-DD day. */
export function dayNumber(day: IsoDay): number {
  return Math.round(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
}

interface Clipped {
  provider: string;
  /** first and one-past-last day numbers inside the window */
  from: number;
  until: number;
  /** hours per day over the whole period */
  rate: number;
}

/** Hours (possibly fractional) worked at health-care worksites within `window`, by the rule above. */
export function hoursInWindow(periods: readonly EmploymentPeriod[], window: DayWindow, worksiteSectors: readonly string[] = [HEALTH_CARE_WORKSITE]): number {
  const wFrom = dayNumber(window.from);
  const wUntil = dayNumber(window.to) + 1;
  const byEmployer = new Map<string, Clipped[]>();
  for (const p of periods) {
    if (!worksiteSectors.includes(p.worksiteSector) || !(p.hours > 0)) continue;
    const start = dayNumber(p.start);
    const until = dayNumber(p.end) + 1;
    if (until <= start) continue;
    const from = Math.max(start, wFrom);
    const to = Math.min(until, wUntil);
    if (to <= from) continue;
    const list = byEmployer.get(p.employer) ?? [];
    list.push({ provider: p.provider, from, until: to, rate: p.hours / (until - start) });
    byEmployer.set(p.employer, list);
  }
  let total = 0;
  for (const list of byEmployer.values()) total += employerHours(list);
  return total;
}

/** One employer's hours: per stretch of days, the highest provider's (summed) daily rate. */
function employerHours(list: Clipped[]): number {
  if (list.length === 1) return list[0].rate * (list[0].until - list[0].from);
  const cuts = [...new Set(list.flatMap((c) => [c.from, c.until]))].sort((a, b) => a - b);
  let total = 0;
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [a, b] = [cuts[i], cuts[i + 1]];
    const byProvider = new Map<string, number>();
    for (const c of list) if (c.from <= a && c.until >= b) byProvider.set(c.provider, (byProvider.get(c.provider) ?? 0) + c.rate);
    let best = 0;
    for (const r of byProvider.values()) best = Math.max(best, r);
    total += best * (b - a);
  }
  return total;
}

/** Rounding slack when comparing prorated sums to a whole threshold. */
const EPSILON = 1e-6;

/** Does the sum reach the threshold (prorated shares compared with a rounding slack)? */
export function reachesHours(sum: number, threshold: number): boolean {
  return sum + EPSILON >= threshold;
}
