import { Client } from 'pg';
import type { PseudonymVersionPeriod } from '@passerelle/crypto';

/**
 * The re-issue plan after a pseudonym key rotation: per agency, how many claimants it holds a
 * pseudonym for under each older version, and how many of those it has not been handed again
 * since (so still only under an old version). Counts only, never an identifier.
 *
 * The gateway keeps no table of issued pseudonyms (translation is by decryption), so the ledger
 * is the record: a PERMIT entry of an agency names the subjects whose pseudonyms the answer gave
 * it, and every answer carries the version current at that time.
 */

export interface ReissueRow {
  agency: string;
  /** claimants per older version */
  byVersion: Array<{ version: number; claimants: number }>;
  /** claimants the agency holds under an older version only (not handed since the current one took over) */
  outstanding: number;
}

/** Older versions' periods as SQL parameters (a missing bound is open). Pure. */
export function olderPeriods(periods: readonly PseudonymVersionPeriod[]): { versions: number[]; froms: Array<string | null>; tos: string[]; cutoff: string | undefined } {
  const older = periods.filter((p) => p.to !== undefined);
  return { versions: older.map((p) => p.version), froms: older.map((p) => p.from ?? null), tos: older.map((p) => p.to!), cutoff: older.length ? older[older.length - 1].to : undefined };
}

/** Opens a client and proves it may read the ledger, before anything is rotated. */
export async function connectForPlan(databaseUrl: string): Promise<Client> {
  const client = new Client({ connectionString: databaseUrl });
  try {
    await client.connect();
    await client.query('SELECT 1 FROM ledger_entries LIMIT 0');
  } catch (e) {
    await client.end().catch(() => undefined);
    const err = e as { code?: string; message?: string };
    const why = err.code === '42501' ? 'this login may not read ledger_entries (use consent-audit\'s login or the owner\'s)' : err.code === '42P01' ? 'no ledger_entries table (is the database migrated?)' : (err.code ?? err.message ?? 'unreachable');
    throw new Error(`--database-url: cannot read the ledger: ${why}`);
  }
  return client;
}

export async function reissuePlan(client: Client, periods: readonly PseudonymVersionPeriod[]): Promise<ReissueRow[]> {
  const { versions, froms, tos, cutoff } = olderPeriods(periods);
  if (!cutoff) return [];
  const { rows } = await client.query<{ agency: string; version: number | null; claimants: string }>(
    `WITH periods AS (
       SELECT * FROM unnest($1::int[], $2::timestamptz[], $3::timestamptz[]) AS p(version, from_t, to_t)
     ), held AS (
       SELECT DISTINCT e.agency, p.version, s.subject
       FROM ledger_entries e
       CROSS JOIN LATERAL unnest(e.subjects) AS s(subject)
       JOIN periods p ON (p.from_t IS NULL OR e.time >= p.from_t) AND e.time < p.to_t
       WHERE e.decision = 'PERMIT'
     ), since AS (
       SELECT DISTINCT e.agency, s.subject
       FROM ledger_entries e
       CROSS JOIN LATERAL unnest(e.subjects) AS s(subject)
       WHERE e.decision = 'PERMIT' AND e.time >= $4::timestamptz
     )
     SELECT agency, version, count(*)::text AS claimants FROM held GROUP BY agency, version
     UNION ALL
     SELECT h.agency, NULL, count(*)::text
     FROM (SELECT DISTINCT agency, subject FROM held) h
     WHERE NOT EXISTS (SELECT 1 FROM since WHERE since.agency = h.agency AND since.subject = h.subject)
     GROUP BY h.agency
     ORDER BY 1, 2 NULLS LAST`,
    [versions, froms, tos, cutoff],
  );
  const out = new Map<string, ReissueRow>();
  for (const r of rows) {
    const row = out.get(r.agency) ?? { agency: r.agency, byVersion: [], outstanding: 0 };
    if (r.version === null) row.outstanding = Number(r.claimants);
    else row.byVersion.push({ version: r.version, claimants: Number(r.claimants) });
    out.set(r.agency, row);
  }
  return [...out.values()];
}

/** The plan as lines for a person. Pure. */
export function formatReissuePlan(rows: readonly ReissueRow[], currentVersion: number): string[] {
  if (rows.length === 0) return ['re-issue plan: no agency holds a pseudonym under an older version'];
  const lines = [`re-issue plan (answers now carry p${currentVersion}_; older pseudonyms keep translating):`];
  for (const r of rows) {
    const held = r.byVersion.map((v) => `${v.claimants} under p${v.version}_`).join(', ');
    lines.push(`  ${r.agency}: ${held}; ${r.outstanding} not handed again since (to re-issue)`);
  }
  return lines;
}
