import { NO_CONSENT, type ConsentReason, type ConsentStanding } from '@passerelle/policy';

/**
 * libs/policy's consentStanding, as SQL over the consents table, for the subject in `subjectExpr`:
 * the counting consents (collector declared for the purpose and recipient: `collectors`, from
 * declaredCollectors) matching (subject, purpose, recipient), judged at an instant to the second.
 * `nextSecond` is the start of the second after the instant, so `x < nextSecond` is
 * "floor(x) ≤ floor(at)" and `x >= nextSecond` is "floor(x) > floor(at)" (libs/policy's toSecond).
 * Tested equivalent to the pure function on random consent sets (consent-standing.sql.spec.ts).
 */
export interface StandingQuestion {
  purpose: string;
  recipient: string;
  /** declaredCollectors(registry, purpose, recipient) */
  collectors: readonly string[];
  at: Date;
}

/** Appends the question's values to `params`; returns a LATERAL subquery yielding (consent_ids, consent_revoked, consent_expired). */
export function standingLateral(subjectExpr: string, q: StandingQuestion, params: unknown[]): string {
  const p = (v: unknown) => `$${params.push(v)}`;
  const purpose = p(q.purpose);
  const recipient = p(q.recipient);
  const collectors = p([...q.collectors]);
  const next = p(nextSecond(q.at));
  return `LATERAL (
      SELECT array_agg(k.id::text) FILTER (WHERE k.valid_from < ${next}::timestamptz AND k.expires_at >= ${next}::timestamptz AND (k.revoked_at IS NULL OR k.revoked_at >= ${next}::timestamptz)) AS consent_ids,
             coalesce(bool_or(k.revoked_at < ${next}::timestamptz), false) AS consent_revoked,
             coalesce(bool_or(k.expires_at < ${next}::timestamptz), false) AS consent_expired
        FROM consents k
       WHERE k.subject = ${subjectExpr} AND k.purpose = ${purpose}::text AND k.recipient = ${recipient}::text AND k.collected_by = ANY(${collectors}::text[])
    )`;
}

/** The predicate "a counting consent is in force" for the subject in `subjectExpr` (the listing's EXISTS). */
export function consentInForceSql(subjectExpr: string, q: StandingQuestion, params: unknown[]): string {
  const p = (v: unknown) => `$${params.push(v)}`;
  const next = p(nextSecond(q.at));
  return `EXISTS (SELECT 1 FROM consents k
     WHERE k.subject = ${subjectExpr} AND k.purpose = ${p(q.purpose)}::text AND k.recipient = ${p(q.recipient)}::text AND k.collected_by = ANY(${p([...q.collectors])}::text[])
       AND k.valid_from < ${next}::timestamptz AND k.expires_at >= ${next}::timestamptz AND (k.revoked_at IS NULL OR k.revoked_at >= ${next}::timestamptz))`;
}

export function nextSecond(at: Date): Date {
  return new Date((Math.floor(at.getTime() / 1000) + 1) * 1000);
}

export interface StandingColumns {
  consent_ids: string[] | null;
  consent_revoked: boolean | null;
  consent_expired: boolean | null;
}

/** The standing named by the lateral's columns (same precedence as libs/policy's consentStanding). */
export function standingOf(row: StandingColumns): ConsentStanding {
  if (row.consent_ids && row.consent_ids.length > 0) return { reason: 'ok', consentIds: [...row.consent_ids].sort() };
  const reason: ConsentReason = row.consent_revoked ? 'consent_revoked' : row.consent_expired ? 'consent_expired' : 'consent_required';
  return reason === 'consent_required' ? NO_CONSENT : { reason, consentIds: [] };
}
