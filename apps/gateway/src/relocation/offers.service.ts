import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, type Logger } from '@passerelle/logger';
import { checkOfferTerms, isReceivingJurisdiction, PROVINCE_CODES, type RawOfferTerms } from '@passerelle/policy';
import { RegistryHolder } from '@passerelle/registry';
import { BadUserInput, Conflict, Forbidden, NotFound } from '../errors';
import type { VerifiedCaller } from '../exchange/exchange-context';
import type { RelocationOffer, RelocationOfferFilterInput } from './dto/offer.types';
import { OffersRepository, type OfferRow } from './offers.repository';
import { ReferralOutboxRelay } from './referral-outbox.relay';

/** One message for "no such offer" and "an offer of another province": no oracle. */
export const OFFER_NOT_FOUND = 'no relocation offer with this id is yours';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Offers listed per call at most: a province publishes a handful, not thousands. */
export const MAX_OFFERS_LISTED = 500;

/**
 * Relocation offers (issue 16): a receiving province (RECEIVER role, a provincial jurisdiction
 * other than Quebec) publishes, amends and withdraws its own offers; agencies that may refer to
 * it (provider of a RELOCATION agreement in force with it) and the province itself read them.
 * Offers hold no claimant data.
 */
@Injectable()
export class OffersService {
  constructor(
    private readonly repository: OffersRepository,
    private readonly relay: ReferralOutboxRelay,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async publish(caller: VerifiedCaller, input: RawOfferTerms): Promise<RelocationOffer> {
    const province = this.receivingProvince(caller);
    const terms = checkOfferTerms(input);
    if (!terms.ok) throw new BadUserInput(terms.reason);
    const row = await this.repository.insert(caller.agency, province, terms.value);
    this.relay.nudge();
    this.logger.info({ offer: row.id, agency: caller.agency }, 'relocation offer published');
    return view(row);
  }

  async amend(caller: VerifiedCaller, id: string, version: number, input: RawOfferTerms): Promise<RelocationOffer> {
    this.receivingProvince(caller);
    if (!UUID.test(String(id))) throw new NotFound(OFFER_NOT_FOUND);
    if (!Number.isInteger(version) || version < 1) throw new BadUserInput('version must be the whole version number of the offer you amend, 1 or more');
    const terms = checkOfferTerms(input);
    if (!terms.ok) throw new BadUserInput(terms.reason);
    const row = await this.repository.amend(id, caller.agency, version, terms.value);
    if (!row) throw this.whyNot(caller, id, await this.repository.find(id), version);
    this.relay.nudge();
    this.logger.info({ offer: row.id, agency: caller.agency, version: row.version }, 'relocation offer amended');
    return view(row);
  }

  async withdraw(caller: VerifiedCaller, id: string): Promise<RelocationOffer> {
    this.receivingProvince(caller);
    if (!UUID.test(String(id))) throw new NotFound(OFFER_NOT_FOUND);
    const row = await this.repository.withdraw(id, caller.agency);
    if (!row) throw this.whyNot(caller, id, await this.repository.find(id), null);
    this.relay.nudge();
    this.logger.info({ offer: row.id, agency: caller.agency }, 'relocation offer withdrawn');
    return view(row);
  }

  /** Offers of the provinces the caller may refer claimants to, and its own. */
  async list(caller: VerifiedCaller, filter: RelocationOfferFilterInput | null | undefined): Promise<RelocationOffer[]> {
    if (filter?.province != null && !(PROVINCE_CODES as readonly string[]).includes(filter.province)) throw new BadUserInput(`filter.province must be one of ${PROVINCE_CODES.join(' ')}`);
    if (filter?.nocCode != null && !/^[0-9]{5}$/.test(filter.nocCode)) throw new BadUserInput('filter.nocCode must be a NOC 2021 code of exactly 5 digits');
    const offerers = this.readableOfferers(caller.agency);
    if (offerers.length === 0) return [];
    const rows = await this.repository.ofAgencies(offerers, filter?.includeWithdrawn === true, MAX_OFFERS_LISTED);
    return rows
      .filter((r) => (filter?.province == null || r.province === filter.province) && (filter?.nocCode == null || r.nocCodes.includes(filter.nocCode)))
      .map(view);
  }

  /** Receivers whose offers `agency` may read: its own, and those it may refer to under an agreement in force. */
  readableOfferers(agency: string, at: Date = new Date()): string[] {
    const registry = this.registry.current();
    const receivers = registry.document.agencies.filter((a) => a.roles.includes('RECEIVER')).map((a) => a.id);
    return receivers.filter((r) => r === agency || registry.agreementsFor({ provider: agency, consumer: r, purpose: 'RELOCATION', at }).length > 0);
  }

  /** The caller's province when it may offer: RECEIVER role (the guard checked it) and a receiving jurisdiction. */
  private receivingProvince(caller: VerifiedCaller): string {
    const agency = this.registry.current().agency(caller.agency);
    if (!agency || !agency.roles.includes('RECEIVER') || !isReceivingJurisdiction(agency.jurisdiction)) {
      throw new Forbidden(`agency ${caller.agency} is not a receiving province or territory in the registry, so it cannot offer relocation`);
    }
    return agency.jurisdiction;
  }

  private whyNot(caller: VerifiedCaller, _id: string, row: OfferRow | undefined, version: number | null): Error {
    if (!row || row.agency !== caller.agency) return new NotFound(OFFER_NOT_FOUND);
    if (row.status === 'WITHDRAWN') return new Conflict('this relocation offer is withdrawn; publish a new one instead');
    return new Conflict(`this relocation offer is at version ${row.version}, not ${version}; read it again and amend that version`);
  }
}

function view(r: OfferRow): RelocationOffer {
  return {
    id: r.id,
    agency: r.agency,
    province: r.province,
    regions: r.regions,
    nocCodes: r.nocCodes,
    places: r.places,
    periodStart: r.periodStart,
    periodEnd: r.periodEnd,
    languageSupport: r.languageSupport,
    minFrenchLevel: r.minFrenchLevel,
    minEnglishLevel: r.minEnglishLevel,
    settlementServices: r.settlementServices,
    contact: { kind: r.contactKind, value: r.contactValue },
    status: r.status,
    version: r.version,
    createdAt: new Date(r.createdAt).toISOString(),
    updatedAt: new Date(r.updatedAt).toISOString(),
  };
}
