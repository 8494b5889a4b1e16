import { Inject, Injectable } from '@nestjs/common';
import { toAgencyPseudonym, type PseudonymKeyring } from '@passerelle/crypto';
import { isPrimary } from '@passerelle/policy';
import { RegistryHolder } from '@passerelle/registry';
import { DisclosureService, type DisclosureNote } from '../disclosure';
import { NotFound } from '../errors';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { PSEUDONYM_KEYRING } from '../exchange/pseudonym-keyring.provider';
import type { RelocationCandidates } from './dto/candidates.types';
import { CandidatesRepository, OffersRepository } from './offers.repository';
import { OFFER_NOT_FOUND } from './offers.service';
import { WillingnessReader } from './willingness.reader';

/** The field a fit reveals: the occupation of the claimant's match. */
const FIT_FIELDS = ['nocCode'] as const;
/** Identities are listed for at most this many willing claimants per answer. */
export const MAX_WILLING_LISTED = 200;

/**
 * relocationCandidates(offer): for the offering province, over claimants with a job match in its
 * province for one of the offer's occupations,
 *   - a protected count of those whose data it may see now (the shared disclosure path: an
 *     agreement in force giving it nocCode for RELOCATION, and the claimant's consent to it);
 *   - identities (its own pseudonyms) only of those whose willingness to relocate names it.
 */
@Injectable()
export class CandidatesService {
  constructor(
    private readonly offers: OffersRepository,
    private readonly candidates: CandidatesRepository,
    private readonly disclosure: DisclosureService,
    private readonly willingness: WillingnessReader,
    @Inject(PSEUDONYM_KEYRING) private readonly keyring: PseudonymKeyring,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
  ) {}

  async forOffer(note: DisclosureNote, caller: VerifiedCaller, offerId: string): Promise<RelocationCandidates> {
    const offer = /^[0-9a-f-]{36}$/i.test(String(offerId)) ? await this.offers.find(offerId) : undefined;
    if (!offer || offer.agency !== caller.agency) throw new NotFound(OFFER_NOT_FOUND);
    const fitting = await this.candidates.fitting(offer.province, offer.nocCodes);
    const providers = this.providersToward(caller.agency);
    const consenting = new Set<string>();
    if (providers.length > 0 && fitting.length > 0) {
      const pairs = fitting.flatMap((f) => providers.map((provider) => ({ subject: f.subject, provider })));
      const verdicts = await this.disclosure.pairVerdicts(caller.agency, 'RELOCATION', FIT_FIELDS, pairs);
      for (const f of fitting) if (providers.some((p) => verdicts(f.subject, p).every((v) => v.permit))) consenting.add(f.subject);
    }
    const willing: RelocationCandidates['willing'] = [];
    for (const f of fitting) {
      if (willing.length >= MAX_WILLING_LISTED) break;
      if (!consenting.has(f.subject)) continue;
      if (await this.willingness.toward(f.subject, caller.agency)) willing.push({ pseudonym: toAgencyPseudonym(this.keyring, caller.agency, f.subject), nocCodes: f.nocCodes });
    }
    const identified = fitting.filter((f) => willing.some((w) => w.pseudonym === toAgencyPseudonym(this.keyring, caller.agency, f.subject))).map((f) => f.subject);
    note.disclosed(identified, identified.length > 0 ? FIT_FIELDS : []);
    const count = consenting.size;
    return { offerId: offer.id, consenting: isPrimary(count) ? { value: null, suppressed: true } : { value: count, suppressed: false }, willing };
  }

  /** Agencies with a RELOCATION agreement in force toward the offering province covering nocCode. */
  private providersToward(consumer: string): string[] {
    const agreements = this.registry.current().agreementsFor({ consumer, purpose: 'RELOCATION', at: new Date() });
    return [...new Set(agreements.filter((a) => (a.fields as readonly string[]).includes('nocCode')).map((a) => a.provider))];
  }
}
