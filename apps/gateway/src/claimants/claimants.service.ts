import { Inject, Injectable } from '@nestjs/common';
import { fromAgencyPseudonym, toAgencyPseudonym, toInternalId, type PseudonymKeyring } from '@passerelle/crypto';
import { LOGGER, type Logger } from '@passerelle/logger';
import { isConsentReason } from '@passerelle/policy';
import { RegistryHolder } from '@passerelle/registry';
import { BadUserInput, ConsentRequired, NoAgreement, NotFound } from '../errors';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { CLAIMANT_NOT_FOUND, DisclosureService, type DisclosureNote } from '../disclosure';
import { candidatesOf, checkFilter, disclosedFields, filteredFields, matchesFilter, type MergedClaimant, type RawClaimantFilter } from './claimant-access';
import { CLAIMANT_FIELDS, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_RECORDS_PER_SUBMISSION, type ClaimantField } from './claimant-fields';
import { checkSubmission, type RawClaimantInput } from './claimant-validation';
import { ClaimantsRepository } from './claimants.repository';
import { provisionBasis } from './provision-basis';
import { PSEUDONYM_KEYRING } from '../exchange/pseudonym-keyring.provider';
import type { Claimant, ClaimantPage, SubmitClaimantsResult } from './dto/claimant-types';

/**
 * The employer of an employment period as a keyed reference (e_…): the same business number gives
 * the same reference whichever provider sends it (so periods of one job can be told apart from
 * two jobs), and the number itself is never stored.
 */
export const employerRef = (keyring: PseudonymKeyring, employerId: string) => `e_${toInternalId(keyring, `employer:${employerId}`).slice(2)}`;

/** The UTC day, YYYY-MM-DD. */
const utcToday = (now: Date) => now.toISOString().slice(0, 10);

/**
 * Claimant records under data-sharing agreements: providers submit (raw client id in, their
 * pseudonym out), consumers read merged, field-by-field disclosed records. Every disclosure is
 * decided by libs/policy in the gateway (consent read in the records' SQL) and noted for the ledger.
 */
@Injectable()
export class ClaimantsService {
  constructor(
    private readonly repository: ClaimantsRepository,
    private readonly disclosure: DisclosureService,
    @Inject(PSEUDONYM_KEYRING) private readonly keyring: PseudonymKeyring,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
  ) {}

  async submit(note: DisclosureNote, caller: VerifiedCaller, records: readonly (RawClaimantInput | null)[]): Promise<SubmitClaimantsResult> {
    if (!Array.isArray(records) || records.length === 0) throw new BadUserInput(`records is empty: send 1 to ${MAX_RECORDS_PER_SUBMISSION} records`);
    if (records.length > MAX_RECORDS_PER_SUBMISSION) {
      throw new BadUserInput(`records holds ${records.length} records; at most ${MAX_RECORDS_PER_SUBMISSION} per call: split the submission`);
    }
    // The client id becomes the internal id here, at the edge, and is not kept past this call.
    const checked = checkSubmission(records, utcToday(new Date()), (clientId) => toInternalId(this.keyring, clientId), (employerId) => employerRef(this.keyring, employerId));
    const { changed } = await this.repository.store(caller.agency, caller.kid, caller.jti, checked.accepted);

    const fields = new Set<ClaimantField>();
    for (const r of checked.accepted) for (const f of CLAIMANT_FIELDS) if (r.values[f] !== undefined || (f === 'healthCareHours' && r.employment?.length)) fields.add(f);
    note.disclosed(
      checked.accepted.map((r) => r.subject),
      fields,
    );
    const registry = this.registry.current();
    note.relied(provisionBasis(registry.document.agreements, caller.agency, fields, new Date(), registry.version));
    this.logger.info(
      { provider: caller.agency, jti: caller.jti, accepted: checked.accepted.length, changed: changed.size, rejected: checked.rejected.length },
      'claimant records submitted',
    );
    return {
      accepted: checked.accepted.map((r) => ({ index: r.index, pseudonym: toAgencyPseudonym(this.keyring, caller.agency, r.subject), changed: changed.has(r.subject) })),
      rejected: checked.rejected,
    };
  }

  async claimant(note: DisclosureNote, caller: VerifiedCaller, pseudonym: string): Promise<Claimant> {
    const access = this.disclosure.claimantAccess(caller);
    const subject = typeof pseudonym === 'string' ? fromAgencyPseudonym(this.keyring, caller.agency, pseudonym) : null;
    if (!subject) throw new NotFound(CLAIMANT_NOT_FOUND);
    const seen = await this.disclosure.see(caller, access, [subject], undefined, note);
    const candidates = candidatesOf(seen.records, access.map);
    const merged = seen.merged.get(subject);
    if (!merged || candidates.length === 0) throw new NotFound(CLAIMANT_NOT_FOUND);
    const fields = disclosedFields(merged);
    if (fields.length === 0) {
      // Nothing at all may be shown: a denial, recorded with the subject and the fields asked for.
      note.disclosed([subject], new Set(candidates.map((c) => c.field)));
      if (merged.withheld.some((w) => isConsentReason(w.reason))) {
        throw new ConsentRequired(`no consent of this claimant is in force for ${caller.purpose} to ${caller.agency}`, { withheld: merged.withheld });
      }
      throw new NoAgreement(`no agreement in force lets ${caller.agency} receive this claimant's fields for ${caller.purpose}`, { withheld: merged.withheld });
    }
    note.disclosed([subject], fields);
    return this.view(caller, merged);
  }

  /**
   * A page of the claimants the caller may see now that pass its filter. The filter may only
   * test fields the caller's agreements cover, and is applied to the values it may see (after
   * consent), so neither the nodes nor the page boundaries say anything about anyone else.
   */
  async claimants(note: DisclosureNote, caller: VerifiedCaller, rawFilter: RawClaimantFilter | null | undefined, first: number | null | undefined, after: string | null | undefined): Promise<ClaimantPage> {
    const size = first ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) throw new BadUserInput(`first must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
    const checked = checkFilter(rawFilter);
    if (!checked.ok) throw new BadUserInput(checked.reason);
    const filter = checked.filter;
    const access = this.disclosure.claimantAccess(caller);
    for (const field of filteredFields(filter)) {
      // Filtering on a field the caller may not see would leak it through the result set.
      if (access.map[field].providers.length === 0) {
        throw new NoAgreement(`cannot filter on ${field}: no agreement in force gives ${caller.agency} ${field} for ${caller.purpose}`);
      }
    }
    const page = await this.disclosure.claimantPage(caller, access, {
      binding: { operation: 'claimants', filter, ordering: 'subject asc' },
      filter,
      matches: (m) => matchesFilter(m.values, filter),
      after,
      size,
    }, note);
    const fields = new Set<ClaimantField>();
    for (const m of page.claimants) for (const f of disclosedFields(m)) fields.add(f);
    note.disclosed(
      page.claimants.map((m) => m.subject),
      fields,
    );
    return { nodes: page.claimants.map((m) => this.view(caller, m)), pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
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
      englishLevel: v.englishLevel ?? null,
      provenance: m.provenance.map((p) => ({ field: p.field, provider: p.provider, suppliedAt: p.suppliedAt.toISOString() })),
      withheld: m.withheld.map((w) => ({ field: w.field, reason: w.reason })),
    };
  }
}
