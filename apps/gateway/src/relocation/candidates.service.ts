import { Inject, Injectable } from '@nestjs/common';
import { toAgencyPseudonym, type PseudonymKeyring } from '@passerelle/crypto';
import { hasLanguageCondition, isPrimary, languageFields, meetsLanguage, type LanguageLevels, type LanguageSupport } from '@passerelle/policy';
import { RegistryHolder } from '@passerelle/registry';
import { DisclosureService, type DisclosureNote } from '../disclosure';
import { NotFound } from '../errors';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { PSEUDONYM_KEYRING } from '../exchange/pseudonym-keyring.provider';
import type { RelocationCandidates } from './dto/candidates.types';
import { CandidatesRepository, LevelsRepository, OffersRepository, type LevelsRow } from './offers.repository';
import { OFFER_NOT_FOUND } from './offers.service';
import { WillingnessReader } from './willingness.reader';

/** The field every fit reveals: the occupation of the claimant's match (and the levels the offer's language condition reads). */
const FIT_FIELDS = ['nocCode'] as const;
/** Identities are listed for at most this many willing claimants per answer. */
export const MAX_WILLING_LISTED = 200;

/**
 * relocationCandidates(offer): for the offering province, over claimants with a job match in its
 * province for one of the offer's occupations and, when the offer states a language minimum,
 * tested levels that meet it (CLB for English, NCLC for French: libs/policy language-fit),
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
    private readonly levels: LevelsRepository,
    @Inject(PSEUDONYM_KEYRING) private readonly keyring: PseudonymKeyring,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
  ) {}

  async forOffer(note: DisclosureNote, caller: VerifiedCaller, offerId: string): Promise<RelocationCandidates> {
    const offer = /^[0-9a-f-]{36}$/i.test(String(offerId)) ? await this.offers.find(offerId) : undefined;
    if (!offer || offer.agency !== caller.agency) throw new NotFound(OFFER_NOT_FOUND);
    const requirement = { languageSupport: offer.languageSupport as LanguageSupport, minFrenchLevel: offer.minFrenchLevel, minEnglishLevel: offer.minEnglishLevel };
    const fields = [...FIT_FIELDS, ...languageFields(requirement)];
    const fitting = await this.candidates.fitting(offer.province, offer.nocCodes);
    const providers = this.providersToward(caller.agency, fields);
    const consenting = new Set<string>();
    if (providers.length > 0 && fitting.length > 0) {
      const pairs = fitting.flatMap((f) => providers.map((provider) => ({ subject: f.subject, provider })));
      const verdicts = await this.disclosure.pairVerdicts(caller.agency, 'RELOCATION', fields, pairs);
      // Who may be read, and through which providers (the levels compared are only theirs).
      const through = new Map<string, string[]>();
      for (const f of fitting) {
        const permitted = providers.filter((p) => verdicts(f.subject, p).every((v) => v.permit));
        if (permitted.length > 0) through.set(f.subject, permitted);
      }
      const levels = hasLanguageCondition(requirement) ? await this.levels.of([...through.keys()], providers) : [];
      for (const [subject, permitted] of through) {
        if (meetsLanguage(requirement, newestLevels(levels.filter((l) => l.subject === subject && permitted.includes(l.provider))))) consenting.add(subject);
      }
    }
    const willing: RelocationCandidates['willing'] = [];
    for (const f of fitting) {
      if (willing.length >= MAX_WILLING_LISTED) break;
      if (!consenting.has(f.subject)) continue;
      if (await this.willingness.toward(f.subject, caller.agency)) willing.push({ pseudonym: toAgencyPseudonym(this.keyring, caller.agency, f.subject), nocCodes: f.nocCodes });
    }
    const identified = fitting.filter((f) => willing.some((w) => w.pseudonym === toAgencyPseudonym(this.keyring, caller.agency, f.subject))).map((f) => f.subject);
    note.disclosed(identified, identified.length > 0 ? fields : []);
    const count = consenting.size;
    return { offerId: offer.id, consenting: isPrimary(count) ? { value: null, suppressed: true } : { value: count, suppressed: false }, willing };
  }

  /** Agencies with a RELOCATION agreement in force toward the offering province covering every field the fit reads. */
  private providersToward(consumer: string, fields: readonly string[]): string[] {
    const agreements = this.registry.current().agreementsFor({ consumer, purpose: 'RELOCATION', at: new Date() });
    return [...new Set(agreements.filter((a) => fields.every((f) => (a.fields as readonly string[]).includes(f))).map((a) => a.provider))];
  }
}

/** The newest tested level of each language across the rows (one claimant). */
export function newestLevels(rows: readonly LevelsRow[]): LanguageLevels {
  const newest = (pick: (r: LevelsRow) => number | null) =>
    [...rows].filter((r) => pick(r) !== null).sort((a, b) => new Date(b.suppliedAt).getTime() - new Date(a.suppliedAt).getTime()).map(pick)[0] ?? null;
  return { french: newest((r) => r.french), english: newest((r) => r.english) };
}
