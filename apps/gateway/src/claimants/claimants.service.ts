import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { fromAgencyPseudonym, toAgencyPseudonym, toInternalId, type PseudonymKeyring } from '@passerelle/crypto';
import { LOGGER, type Logger } from '@passerelle/logger';
import type { DisclosureCandidate, Verdict } from '@passerelle/policy';
import { RegistryHolder } from '@passerelle/registry';
import { DecisionsClient } from '../consents/decisions.client';
import { BadUserInput, ConsentRequired, NoAgreement, NotFound } from '../errors';
import { noteDisclosure, type VerifiedCaller } from '../exchange/exchange-context';
import {
  candidateKey,
  candidatesOf,
  checkFilter,
  disclosedFields,
  fieldAccess,
  filteredFields,
  matchesFilter,
  mergeClaimant,
  readableProviders,
  type AccessMap,
  type MergedClaimant,
  type RawClaimantFilter,
} from './claimant-access';
import { decodeCursor, encodeCursor } from './claimant-cursor';
import { CLAIMANT_FIELDS, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_RECORDS_PER_SUBMISSION, type ClaimantField, type ProviderRecord } from './claimant-fields';
import { checkSubmission, type RawClaimantInput } from './claimant-validation';
import { ClaimantsRepository } from './claimants.repository';
import { PSEUDONYM_KEYRING } from '../exchange/pseudonym-keyring.provider';
import type { Claimant, ClaimantPage, SubmitClaimantsResult } from './dto/claimant-types';

/** One message for "not a pseudonym of yours" and "no data you may see": no oracle for guessing. */
export const CLAIMANT_NOT_FOUND = 'no claimant with this pseudonym is visible to you';

const CONSENT_REASONS = new Set(['consent_required', 'consent_expired', 'consent_revoked']);

/** The UTC day, YYYY-MM-DD. */
const utcToday = (now: Date) => now.toISOString().slice(0, 10);

/**
 * Claimant records under data-sharing agreements: providers submit (raw client id in, their
 * pseudonym out), consumers read merged, field-by-field disclosed records. Every disclosure is
 * decided by consent-audit's Decisions.Decide and noted for the ledger.
 */
@Injectable()
export class ClaimantsService {
  constructor(
    private readonly repository: ClaimantsRepository,
    @Inject(PSEUDONYM_KEYRING) private readonly keyring: PseudonymKeyring,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
    @Inject(DecisionsClient) private readonly decisions: Pick<DecisionsClient, 'decide'>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async submit(request: FastifyRequest, caller: VerifiedCaller, records: readonly (RawClaimantInput | null)[]): Promise<SubmitClaimantsResult> {
    if (!Array.isArray(records) || records.length === 0) throw new BadUserInput(`records is empty: send 1 to ${MAX_RECORDS_PER_SUBMISSION} records`);
    if (records.length > MAX_RECORDS_PER_SUBMISSION) {
      throw new BadUserInput(`records holds ${records.length} records; at most ${MAX_RECORDS_PER_SUBMISSION} per call: split the submission`);
    }
    // The client id becomes the internal id here, at the edge, and is not kept past this call.
    const checked = checkSubmission(records, utcToday(new Date()), (clientId) => toInternalId(this.keyring, clientId));
    const { changed } = await this.repository.store(caller.agency, caller.kid, caller.jti, checked.accepted);

    const fields = new Set<ClaimantField>();
    for (const r of checked.accepted) for (const f of CLAIMANT_FIELDS) if (r.values[f] !== undefined) fields.add(f);
    noteDisclosure(
      request,
      checked.accepted.map((r) => r.subject),
      fields,
    );
    this.logger.info(
      { provider: caller.agency, jti: caller.jti, accepted: checked.accepted.length, changed: changed.size, rejected: checked.rejected.length },
      'claimant records submitted',
    );
    return {
      accepted: checked.accepted.map((r) => ({ index: r.index, pseudonym: toAgencyPseudonym(this.keyring, caller.agency, r.subject), changed: changed.has(r.subject) })),
      rejected: checked.rejected,
    };
  }

  async claimant(request: FastifyRequest, caller: VerifiedCaller, pseudonym: string): Promise<Claimant> {
    const access = this.accessFor(caller);
    const readable = this.requireReadable(access, caller);
    const subject = typeof pseudonym === 'string' ? fromAgencyPseudonym(this.keyring, caller.agency, pseudonym) : null;
    if (!subject) throw new NotFound(CLAIMANT_NOT_FOUND);
    const records = await this.repository.records([subject], readable);
    const candidates = candidatesOf(records, access);
    if (candidates.length === 0) throw new NotFound(CLAIMANT_NOT_FOUND);
    const verdictOf = await this.decide(caller, candidates);
    const merged = mergeClaimant(subject, records, access, verdictOf);
    const fields = disclosedFields(merged);
    if (fields.length === 0) {
      // Nothing at all may be shown: a denial, recorded with the subject and the fields asked for.
      noteDisclosure(request, [subject], new Set(candidates.map((c) => c.field)));
      if (merged.withheld.some((w) => CONSENT_REASONS.has(w.reason))) {
        throw new ConsentRequired(`no consent of this claimant is in force for ${caller.purpose} to ${caller.agency}`, { withheld: merged.withheld });
      }
      throw new NoAgreement(`no agreement in force lets ${caller.agency} receive this claimant's fields for ${caller.purpose}`, { withheld: merged.withheld });
    }
    noteDisclosure(request, [subject], fields);
    return this.view(caller, merged);
  }

  async claimants(request: FastifyRequest, caller: VerifiedCaller, rawFilter: RawClaimantFilter | null | undefined, first: number | null | undefined, after: string | null | undefined): Promise<ClaimantPage> {
    const size = first ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) throw new BadUserInput(`first must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
    const checked = checkFilter(rawFilter);
    if (!checked.ok) throw new BadUserInput(checked.reason);
    const filter = checked.filter;
    let afterSubject: string | null = null;
    if (after !== null && after !== undefined) {
      afterSubject = decodeCursor(this.keyring, caller.agency, after);
      if (!afterSubject) throw new BadUserInput('after is not a cursor given to you by claimants');
    }
    const access = this.accessFor(caller);
    const readable = this.requireReadable(access, caller);
    for (const field of filteredFields(filter)) {
      // Filtering on a field the caller may not see would leak it through the result set.
      if (access[field].providers.length === 0) {
        throw new NoAgreement(`cannot filter on ${field}: no agreement in force gives ${caller.agency} ${field} for ${caller.purpose}`);
      }
    }

    const scanned = await this.repository.pageSubjects(access, readable, filter, afterSubject, size + 1);
    const hasNextPage = scanned.length > size;
    const page = scanned.slice(0, size);
    const records = await this.repository.records(page, readable);
    const verdictOf = await this.decide(caller, candidatesOf(records, access));
    const bySubject = new Map<string, ProviderRecord[]>();
    for (const r of records) bySubject.set(r.subject, [...(bySubject.get(r.subject) ?? []), r]);

    const nodes: Claimant[] = [];
    const subjects: string[] = [];
    const fields = new Set<ClaimantField>();
    for (const subject of page) {
      const merged = mergeClaimant(subject, bySubject.get(subject) ?? [], access, verdictOf);
      const disclosed = disclosedFields(merged);
      // Left out: nothing disclosable, or a filtered field not disclosed (the match would leak it).
      if (disclosed.length === 0 || !matchesFilter(merged.values, filter)) continue;
      subjects.push(subject);
      for (const f of disclosed) fields.add(f);
      nodes.push(this.view(caller, merged));
    }
    noteDisclosure(request, subjects, fields);
    return {
      nodes,
      pageInfo: { hasNextPage, endCursor: page.length > 0 ? encodeCursor(this.keyring, caller.agency, page[page.length - 1]) : (after ?? null) },
    };
  }

  private accessFor(caller: VerifiedCaller): AccessMap {
    return fieldAccess(this.registry.current().document.agreements, caller.agency, caller.purpose, new Date());
  }

  private requireReadable(access: AccessMap, caller: VerifiedCaller): string[] {
    const readable = readableProviders(access);
    if (readable.length === 0) throw new NoAgreement(`no agreement in force gives ${caller.agency} claimant fields for ${caller.purpose}`);
    return readable;
  }

  /** One Decide call for all candidates of a page. */
  private async decide(caller: VerifiedCaller, candidates: DisclosureCandidate[]): Promise<(c: DisclosureCandidate) => Verdict | undefined> {
    const verdicts = await this.decisions.decide(caller.agency, caller.purpose, candidates);
    const byKey = new Map<string, Verdict>();
    candidates.forEach((c, i) => byKey.set(candidateKey(c), verdicts[i]));
    return (c) => byKey.get(candidateKey(c));
  }

  private view(caller: VerifiedCaller, m: MergedClaimant): Claimant {
    const v = m.values;
    return {
      pseudonym: toAgencyPseudonym(this.keyring, caller.agency, m.subject),
      claimStatus: v.claimStatus ?? null,
      claimDate: v.claimDate ?? null,
      province: v.province ?? null,
      workPermitExpiry: v.workPermitExpiry ?? null,
      nocCode: v.nocCode ?? null,
      sector: v.sector ?? null,
      healthCareHours: v.healthCareHours?.hours ?? null,
      hoursPeriodStart: v.healthCareHours?.periodStart ?? null,
      hoursPeriodEnd: v.healthCareHours?.periodEnd ?? null,
      frenchLevel: v.frenchLevel ?? null,
      provenance: m.provenance.map((p) => ({ field: p.field, provider: p.provider, suppliedAt: p.suppliedAt.toISOString() })),
      withheld: m.withheld.map((w) => ({ field: w.field, reason: w.reason })),
    };
  }
}
