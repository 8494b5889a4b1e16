import { Inject, Injectable } from '@nestjs/common';
import { declaredCollectors, verdictLookup, type ConsentStanding, type DisclosureCandidate, type Verdict } from '@passerelle/policy';
import { RegistryHolder, type Purpose } from '@passerelle/registry';
import { candidatesOf, fieldAccess, mergeClaimant, readableProviders, type AccessMap, type ClaimantFilter, type MergedClaimant } from '../claimants/claimant-access';
import type { ProviderRecord } from '../claimants/claimant-fields';
import { InvalidCursor, NoAgreement } from '../errors';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { ClaimantRecordsRepository } from './claimant-records.repository';
import type { StandingQuestion } from './consent-standing.sql';
import { decideInGateway } from './disclosure-decider';
import type { DisclosureNote } from './disclosure-note';
import { CURSOR_KEYS } from './cursor-key.provider';
import { openCursor, sealCursor, type CursorBinding, type CursorKeys } from './page-cursor';

/** One message for "not a pseudonym of yours" and "no data you may see": no oracle for guessing. */
export const CLAIMANT_NOT_FOUND = 'no claimant with this pseudonym is visible to you';

/** The caller's agreements for its purpose, now: which providers may disclose which fields. */
export interface ClaimantAccess {
  map: AccessMap;
  /** every provider that may disclose at least one field (reads never touch rows of others) */
  readable: string[];
}

/** What one caller may see of some subjects now: merged values, field by field, after consent. */
export interface SeenClaimants {
  /** the records read (from readable providers only): empty means "nothing held" */
  records: ProviderRecord[];
  merged: Map<string, MergedClaimant>;
}

/** Where the disclosure path notes what it relied on (the exchange's ledger entry, §5). */
export type RelianceNote = Pick<DisclosureNote, 'relied'>;

export interface ClaimantPageRequest {
  binding: Omit<CursorBinding, 'agency' | 'purpose'>;
  /** the caller's validated filter: tested in SQL on the merged values it may see (never on anything else) */
  filter: ClaimantFilter;
  /** the same filter in process, checked again on what is disclosed */
  matches(m: MergedClaimant): boolean;
  after: string | null | undefined;
  size: number;
  /** subjects looked at per page at most (default CLAIMANT_WALK.maxRows; smaller in tests) */
  maxRows?: number;
}

export interface ClaimantPage {
  claimants: MergedClaimant[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/**
 * Key-order walk of claimants: at most maxRows subjects looked at per page before the page ends
 * short (hasNextPage true, cursor after the last subject looked at).
 */
export const CLAIMANT_WALK = { maxRows: 10_000 } as const;

/**
 * The one disclosure path of the gateway (issue 14, hole 1; issue 15, decide without a hop):
 *   access (agreements in force for the caller's purpose: providers × fields)
 *   → candidates (subject, field, provider) → consent (read in the same SQL as the records)
 *   → decide (libs/policy, in process) → merge only the values the caller may see now
 *   → filter → page → note.
 * Consent is applied before any filter and any paging, so what a listing shows, where its pages
 * end, whether there is a next one and its cursor depend only on what the caller may see now.
 * Consents are never cached: each exchange's statement reads them as committed, so a revocation
 * binds the very next request of every gateway instance.
 * Cursors are opaque and bound to (operation, agency, purpose, filter, ordering).
 */
@Injectable()
export class DisclosureService {
  constructor(
    private readonly records: ClaimantRecordsRepository,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
    @Inject(CURSOR_KEYS) private readonly cursorKeys: CursorKeys,
  ) {}

  /** Access: refuses (NO_AGREEMENT) when no agreement in force gives the caller any field for its purpose. */
  claimantAccess(caller: VerifiedCaller, at: Date = new Date()): ClaimantAccess {
    const map = fieldAccess(this.registry.current().document.agreements, caller.agency, caller.purpose, at);
    const readable = readableProviders(map);
    if (readable.length === 0) throw new NoAgreement(`no agreement in force gives ${caller.agency} claimant fields for ${caller.purpose}`);
    return { map, readable };
  }

  /** What the SQL must read of consents for (consumer, purpose) now; null when the purpose needs none. */
  private consentQuestion(consumer: string, purpose: string, at: Date): StandingQuestion | null {
    const registry = this.registry.current();
    if (!registry.consentRequired(purpose as Purpose)) return null;
    return { purpose, recipient: consumer, collectors: declaredCollectors(registry.document.consentCollectors, purpose, consumer), at };
  }

  /** Verdicts for candidates, decided in process, as a lookup (a candidate not asked about is refused). */
  private decide(consumer: string, purpose: string, at: Date, standings: Map<string, ConsentStanding>, candidates: readonly DisclosureCandidate[]) {
    const verdicts = decideInGateway({ registry: this.registry.current(), consumer, purpose, at, standingOf: (s) => standings.get(s) }, candidates);
    return verdictLookup(candidates, verdicts);
  }

  /**
   * Candidates → consent → merge for some subjects; `fields` narrows what is asked (a program
   * reads only its own fields). Subjects without any record are absent from `merged`.
   */
  async see(caller: VerifiedCaller, access: ClaimantAccess, subjects: readonly string[], fields?: readonly string[], note?: RelianceNote): Promise<SeenClaimants> {
    const at = new Date();
    const { records, standings } = await this.records.recordsWithStanding(subjects, access.readable, this.consentQuestion(caller.agency, caller.purpose, at));
    const candidates = candidatesOf(records, access.map).filter((c) => !fields || fields.includes(c.field));
    return this.merge(caller, access, at, records, standings, candidates, note);
  }

  private merge(
    caller: VerifiedCaller,
    access: ClaimantAccess,
    at: Date,
    records: ProviderRecord[],
    standings: Map<string, ConsentStanding>,
    candidates: DisclosureCandidate[],
    note?: RelianceNote,
  ): SeenClaimants {
    const verdictOf = this.decide(caller.agency, caller.purpose, at, standings, candidates);
    // The permits whose values may be merged (and so disclosed or tested by a filter): the entry's legal basis.
    note?.relied(candidates.flatMap((c) => verdictOf(c) ?? []));
    const bySubject = new Map<string, ProviderRecord[]>();
    for (const r of records) bySubject.set(r.subject, [...(bySubject.get(r.subject) ?? []), r]);
    const merged = new Map<string, MergedClaimant>();
    for (const [subject, own] of bySubject) merged.set(subject, mergeClaimant(subject, own, access.map, verdictOf));
    return { records, merged };
  }

  /**
   * Filter → page over claimants the caller may see now, in subject order, at most maxRows
   * subjects looked at: the first size + 1 visible, matching subjects of the window come from one
   * statement (consent, agreements and the filter in SQL, records and standings in the same
   * snapshot); they are then decided and merged in process like every other disclosure, and the
   * filter is checked again on what is disclosed. Same pages and cursors as walkPage over `see`.
   */
  async claimantPage(caller: VerifiedCaller, access: ClaimantAccess, request: ClaimantPageRequest, note?: RelianceNote): Promise<ClaimantPage> {
    const binding: CursorBinding = { ...request.binding, agency: caller.agency, purpose: caller.purpose };
    const after = request.after === null || request.after === undefined ? null : this.openCursor(binding, request.after);
    if (!Number.isInteger(request.size) || request.size < 1) throw new Error('page size must be a whole number ≥ 1');
    const at = new Date();
    const maxRows = request.maxRows ?? CLAIMANT_WALK.maxRows;
    const consent = this.consentQuestion(caller.agency, caller.purpose, at);
    const hits = await this.records.windowHits(access.map, access.readable, request.filter, consent, after, maxRows, request.size + 1);
    const onPage = new Set(hits.subjects.slice(0, request.size));
    const records = hits.records.filter((r) => onPage.has(r.subject));
    const { merged } = this.merge(caller, access, at, records, hits.standings, candidatesOf(records, access.map), note);
    const claimants = hits.subjects.slice(0, request.size).flatMap((subject) => {
      const m = merged.get(subject);
      return m && m.provenance.length > 0 && request.matches(m) ? [m] : [];
    });
    if (hits.subjects.length > request.size) {
      return { claimants, hasNextPage: true, endCursor: this.sealCursor(binding, hits.subjects[request.size - 1]) };
    }
    // Short: the table ran out within the window (no next page), or the window did (resume after it).
    const end = await this.records.windowEnd(access.readable, after, maxRows);
    if (end.count < maxRows) {
      const last = hits.subjects[hits.subjects.length - 1] ?? after;
      return { claimants, hasNextPage: false, endCursor: last === null ? null : this.sealCursor(binding, last) };
    }
    return { claimants, hasNextPage: true, endCursor: this.sealCursor(binding, end.last!) };
  }

  /**
   * Verdicts for (subject, provider) pairs over a fixed list of fields, one consent read:
   * `verdictsOf(subject, provider)` answers in `fields` order (refused when not asked about).
   */
  async pairVerdicts(
    consumer: string,
    purpose: string,
    fields: readonly string[],
    pairs: Iterable<{ subject: string; provider: string }>,
    note?: RelianceNote,
  ): Promise<(subject: string, provider: string) => Verdict[]> {
    const unique = [...new Map([...pairs].map((p) => [`${p.subject}\u0000${p.provider}`, p])).values()];
    const candidates = unique.flatMap((p) => fields.map((field) => ({ subject: p.subject, field, provider: p.provider })));
    const at = new Date();
    const consent = this.consentQuestion(consumer, purpose, at);
    const standings = consent && candidates.length > 0 ? await this.records.standings(unique.map((p) => p.subject), consent) : new Map<string, ConsentStanding>();
    const verdictOf = this.decide(consumer, purpose, at, standings, candidates);
    note?.relied(candidates.flatMap((c) => verdictOf(c) ?? []));
    const refused: Verdict = { permit: false, reason: 'no_agreement', agreementId: '' };
    return (subject, provider) => fields.map((field) => verdictOf({ subject, field, provider }) ?? refused);
  }

  /** The position behind a cursor minted for exactly this binding; INVALID_CURSOR otherwise (audited as a DENY by the error filter). */
  openCursor(binding: CursorBinding, cursor: string): string {
    const position = openCursor(this.cursorKeys, binding, cursor);
    if (position === null) {
      throw new InvalidCursor(`after is not a cursor this gateway gave to ${binding.agency} for ${binding.operation} with this purpose, filter and order; start again without after`);
    }
    return position;
  }

  sealCursor(binding: CursorBinding, position: string): string {
    return sealCursor(this.cursorKeys, binding, position);
  }
}
