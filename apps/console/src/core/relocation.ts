/**
 * What the relocation page draws, from relocationOffers and relocationOutcomes answers. Pure.
 * Suppressed cells (1 to 9 and their complements) are never drawn as a number: they are listed
 * apart, so a bar never hints at a hidden count.
 */
export interface OutcomeCell {
  toProvince: string | null;
  status: string | null;
  referrals: number | null;
  acceptances: number | null;
  moves: number | null;
  jobs: number | null;
  suppressed: boolean;
}

export interface Bar {
  label: string;
  count: number;
}

export const STATUS_ORDER = ['REFERRED', 'CONTACTED', 'ACCEPTED', 'DECLINED', 'RELOCATED', 'EMPLOYED', 'WITHDRAWN'] as const;
export const MEASURES = ['referrals', 'acceptances', 'moves', 'jobs'] as const;
export type Measure = (typeof MEASURES)[number];

/** Referrals by status, in lifecycle order; suppressed statuses apart. */
export function statusBars(cells: readonly OutcomeCell[]): { bars: Bar[]; suppressed: string[] } {
  const rank = (s: string) => (STATUS_ORDER as readonly string[]).indexOf(s);
  const sorted = [...cells].filter((c) => c.status !== null).sort((a, b) => rank(a.status!) - rank(b.status!));
  return {
    bars: sorted.filter((c) => !c.suppressed && c.referrals !== null).map((c) => ({ label: c.status!, count: c.referrals! })),
    suppressed: sorted.filter((c) => c.suppressed).map((c) => c.status!),
  };
}

/** One measure by receiving province; suppressed provinces apart. */
export function provinceBars(cells: readonly OutcomeCell[], measure: Measure): { bars: Bar[]; suppressed: string[] } {
  const rows = [...cells].filter((c) => c.toProvince !== null).sort((a, b) => (a.toProvince! < b.toProvince! ? -1 : 1));
  return {
    bars: rows.filter((c) => !c.suppressed && c[measure] !== null).map((c) => ({ label: c.toProvince!, count: c[measure]! })),
    suppressed: rows.filter((c) => c.suppressed).map((c) => c.toProvince!),
  };
}

/** The calendar quarter of a day, YYYY-Qn (what relocationOutcomes takes). */
export function quarterOf(day: Date): string {
  return `${day.getUTCFullYear()}-Q${Math.floor(day.getUTCMonth() / 3) + 1}`;
}

/** The quarter and the three before it, newest first. */
export function recentQuarters(day: Date, n = 4): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(quarterOf(new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() - 3 * i, 1))));
  return out;
}
