import { Inject, Injectable } from '@nestjs/common';
import { consentProbes, isConsentReason, verdictLookup, walkPage, type DisclosureCandidate, type Verdict } from '@passerelle/policy';
import { RegistryHolder } from '@passerelle/registry';
import { candidatesOf, fieldAccess, mergeClaimant, readableProviders, type AccessMap, type MergedClaimant } from '../claimants/claimant-access';
import type { ProviderRecord } from '../claimants/claimant-fields';
import { DecisionsClient } from '../consents/decisions.client';
import { InvalidCursor, NoAgreement } from '../errors';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { ClaimantRecordsRepository } from './claimant-records.repository';
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
  /** the caller's filter, tested on the merged values it may see (never on anything else) */
  matches(m: MergedClaimant): boolean;
  after: string | null | undefined;
  size: number;
}

export interface ClaimantPage {
  claimants: MergedClaimant[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/**
 * Key-order walk of claimants: subjects read in the first step (steps then double up to
 * maxBatch), and at most maxRows per page before the page ends short (hasNextPage true, cursor
 * after the last subject read). Each step costs one indexed read and at most two Decide calls.
 */
export const CLAIMANT_WALK = { minBatch: 100, maxBatch: 1000, maxRows: 10_000 } as const;

/**
 * The one disclosure path of the gateway (issue 14, hole 1):
 *   access (agreements in force for the caller's purpose: providers × fields)
 *   → candidates (subject, field, provider) → consent (one batched Decide per step)
 *   → merge only the values the caller may see now → filter → page → note.
 * Consent is applied before any filter and any paging, so what a listing shows, where its pages
 * end, whether there is a next one and its cursor depend only on what the caller may see now.
 * Cursors are opaque and bound to (operation, agency, purpose, filter, ordering).
 */
@Injectable()
export class DisclosureService {
  constructor(
    private readonly records: ClaimantRecordsRepository,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
    @Inject(DecisionsClient) private readonly decisions: Pick<DecisionsClient, 'decide'>,
    @Inject(CURSOR_KEYS) private readonly cursorKeys: CursorKeys,
  ) {}

  /** Access: refuses (NO_AGREEMENT) when no agreement in force gives the caller any field for its purpose. */
  claimantAccess(caller: VerifiedCaller, at: Date = new Date()): ClaimantAccess {
    const map = fieldAccess(this.registry.current().document.agreements, caller.agency, caller.purpose, at);
    const readable = readableProviders(map);
    if (readable.length === 0) throw new NoAgreement(`no agreement in force gives ${caller.agency} claimant fields for ${caller.purpose}`);
    return { map, readable };
  }

  /** Consent: one Decide for all candidates, as a lookup (a candidate not asked about is refused). */
  async decide(consumer: string, purpose: string, candidates: readonly DisclosureCandidate[]): Promise<(c: DisclosureCandidate) => Verdict | undefined> {
    const verdicts = candidates.length > 0 ? await this.decisions.decide(consumer, purpose, candidates) : [];
    return verdictLookup(candidates, verdicts);
  }

  /**
   * Candidates → consent → merge for some subjects; `fields` narrows what is asked (a program
   * reads only its own fields). Subjects without any record are absent from `merged`.
   */
  async see(caller: VerifiedCaller, access: ClaimantAccess, subjects: readonly string[], fields?: readonly string[], note?: RelianceNote): Promise<SeenClaimants> {
    const records = await this.records.records(subjects, access.readable);
    return this.merge(caller, access, records, candidatesOf(records, access.map).filter((c) => !fields || fields.includes(c.field)), note);
  }

  /**
   * Like `see`, for listings: when the purpose needs consent, one probe per subject is decided
   * first and subjects without consent in force are dropped before their fields are decided (they
   * would all be refused alike), so long runs of claimants who never consented stay cheap.
   */
  private async seeForListing(caller: VerifiedCaller, access: ClaimantAccess, subjects: readonly string[], note?: RelianceNote): Promise<SeenClaimants> {
    let records = await this.records.records(subjects, access.readable);
    let candidates = candidatesOf(records, access.map);
    if (this.registry.current().consentRequired(caller.purpose)) {
      const probes = consentProbes(candidates);
      const probed = await this.decide(caller.agency, caller.purpose, probes);
      const withoutConsent = new Set(probes.filter((p) => isConsentReason(probed(p)?.reason ?? '')).map((p) => p.subject));
      records = records.filter((r) => !withoutConsent.has(r.subject));
      candidates = candidates.filter((c) => !withoutConsent.has(c.subject));
    }
    return this.merge(caller, access, records, candidates, note);
  }

  private async merge(caller: VerifiedCaller, access: ClaimantAccess, records: ProviderRecord[], candidates: DisclosureCandidate[], note?: RelianceNote): Promise<SeenClaimants> {
    const verdictOf = await this.decide(caller.agency, caller.purpose, candidates);
    // The permits whose values may be merged (and so disclosed or tested by a filter): the entry's legal basis.
    note?.relied(candidates.flatMap((c) => verdictOf(c) ?? []));
    const bySubject = new Map<string, ProviderRecord[]>();
    for (const r of records) bySubject.set(r.subject, [...(bySubject.get(r.subject) ?? []), r]);
    const merged = new Map<string, MergedClaimant>();
    for (const [subject, own] of bySubject) merged.set(subject, mergeClaimant(subject, own, access.map, verdictOf));
    return { records, merged };
  }

  /** Filter → page over claimants the caller may see now, in subject order. */
  async claimantPage(caller: VerifiedCaller, access: ClaimantAccess, request: ClaimantPageRequest, note?: RelianceNote): Promise<ClaimantPage> {
    const binding: CursorBinding = { ...request.binding, agency: caller.agency, purpose: caller.purpose };
    const after = request.after === null || request.after === undefined ? null : this.openCursor(binding, request.after);
    const batch = Math.min(CLAIMANT_WALK.maxBatch, Math.max(CLAIMANT_WALK.minBatch, 2 * (request.size + 1)));
    const page = await walkPage<string, string, MergedClaimant>({
      size: request.size,
      batch,
      maxBatch: CLAIMANT_WALK.maxBatch,
      maxRows: CLAIMANT_WALK.maxRows,
      after,
      scan: (position, limit) => this.records.subjectsAfter(access.readable, position, limit),
      positionOf: (subject) => subject,
      keep: async (subjects) => {
        const { merged } = await this.seeForListing(caller, access, subjects, note);
        return subjects.flatMap((subject) => {
          const m = merged.get(subject);
          // Left out: nothing disclosable now, or the filter fails on what may be seen.
          return m && m.provenance.length > 0 && request.matches(m) ? [{ row: subject, node: m }] : [];
        });
      },
    });
    return { claimants: page.nodes, hasNextPage: page.hasNextPage, endCursor: page.endPosition === null ? null : this.sealCursor(binding, page.endPosition) };
  }

  /**
   * Verdicts for (subject, provider) pairs over a fixed list of fields, one Decide call:
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
    const verdictOf = await this.decide(consumer, purpose, candidates);
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
