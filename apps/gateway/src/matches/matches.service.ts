import { Inject, Injectable } from '@nestjs/common';
import { fromAgencyPseudonym, toAgencyPseudonym, type PseudonymKeyring } from '@passerelle/crypto';
import { LOGGER, type Logger } from '@passerelle/logger';
import { isConsentReason, walkPage } from '@passerelle/policy';
import { RegistryHolder } from '@passerelle/registry';
import { PSEUDONYM_KEYRING } from '../exchange/pseudonym-keyring.provider';
import { BadUserInput, ConsentRequired, NoAgreement, NotFound } from '../errors';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { DisclosureService, type CursorBinding, type DisclosureNote } from '../disclosure';
import { checkMatchFilter, checkPageSize, isMatchId, matchPasses, positionFrom, positionText } from './match-input';
import { WillingnessReader } from '../relocation/willingness.reader';
import { LanguageFitReader, type FitOf } from './language-fit.reader';
import { LanguageFitEnum } from './dto/job-match.types';
import { ReferralOutboxRelay } from '../relocation/referral-outbox.relay';
import { MatchesRepository, type MatchRow, type PageCursor, type ReceivedRow } from './matches.repository';
import type { JobMatch, JobMatchPage, ReceivedReferral, ReceivedReferralPage, RelocationReferral } from './dto/job-match.types';

/**
 * The claimant fields a job match reveals: where the job is and what it is, for this claimant.
 * A match is disclosed to agency C under purpose X only when consent-audit permits both fields,
 * provider = the agency the match comes from (the publisher for jobMatches, the referring agency
 * for referrals): an agreement in force covering them, and the claimant's consent for X to C.
 */
export const MATCH_FIELDS = ['province', 'nocCode'] as const;
export const MATCH_NOT_FOUND = 'no job match with this id is visible to you for this pseudonym';
/** Rows read per step and per page at most (see walkPage in @passerelle/policy). */
export const MATCH_WALK = { minBatch: 50, maxBatch: 1000, maxRows: 10_000 } as const;
const batchFor = (size: number) => Math.min(MATCH_WALK.maxBatch, Math.max(MATCH_WALK.minBatch, 2 * (size + 1)));

@Injectable()
export class MatchesService {
  constructor(
    private readonly repository: MatchesRepository,
    private readonly disclosure: DisclosureService,
    @Inject(PSEUDONYM_KEYRING) private readonly keyring: PseudonymKeyring,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly willingness: WillingnessReader,
    private readonly relay: ReferralOutboxRelay,
    private readonly languageFit: LanguageFitReader,
  ) {}

  /**
   * Matches the caller may see now (agreement from the publisher and the claimant's consent for
   * both match fields), filtered, newest first. Consent is decided per batch before the filter and
   * before the page is cut, so hidden matches shape neither the page, nor hasNextPage, nor the cursor.
   */
  async jobMatches(note: DisclosureNote, caller: VerifiedCaller, rawFilter: Parameters<typeof checkMatchFilter>[0], first: number | null, after: string | null): Promise<JobMatchPage> {
    const size = checkPageSize(first);
    if (!size.ok) throw new BadUserInput(size.reason);
    const filter = checkMatchFilter(rawFilter);
    if (!filter.ok) throw new BadUserInput(filter.reason);
    const publishers = this.providersToward(caller.agency, 'JOB_MATCHING');
    if (publishers.length === 0) throw new NoAgreement(`no agreement in force gives ${caller.agency} job-match fields (${MATCH_FIELDS.join(', ')}) for JOB_MATCHING`);
    const binding: CursorBinding = { operation: 'jobMatches', agency: caller.agency, purpose: caller.purpose, filter: filter.value, ordering: 'matchedAt desc, id desc' };
    const start = this.position(binding, after);

    const page = await walkPage<MatchRow, PageCursor, MatchRow & FitOf>({
      size: size.value,
      batch: batchFor(size.value),
      maxBatch: MATCH_WALK.maxBatch,
      maxRows: MATCH_WALK.maxRows,
      after: start,
      scan: (position, limit) => this.repository.scan(publishers, position, limit),
      positionOf: (row) => ({ at: row.matchedAtKey, id: row.id }),
      keep: async (rows) => {
        const verdicts = await this.disclosure.pairVerdicts(caller.agency, 'JOB_MATCHING', MATCH_FIELDS, rows.map((r) => ({ subject: r.subject, provider: r.publisher })), note);
        const visible = rows.filter((r) => verdicts(r.subject, r.publisher).every((v) => v.permit) && matchPasses(r, filter.value));
        // Fit on what the caller may see, decided before the filter and the page cut, like consent.
        const fits = await this.languageFit.fits(caller.agency, visible, note);
        return visible
          .map((row) => ({ row, node: { ...row, ...fits.get(row.id)! } }))
          .filter(({ node }) => filter.value.languageFit === undefined || node.fit === filter.value.languageFit);
      },
    });
    const subjects = new Set(page.nodes.map((r) => r.subject));
    note.disclosed(subjects, subjects.size > 0 ? MATCH_FIELDS : []);
    for (const n of page.nodes) note.disclosed([n.subject], n.read);
    return {
      nodes: page.nodes.map((r) => ({ ...this.view(caller.agency, r), languageFit: LanguageFitEnum[r.fit] })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endPosition ? this.disclosure.sealCursor(binding, positionText(page.endPosition)) : null },
    };
  }

  async referRelocation(note: DisclosureNote, caller: VerifiedCaller, pseudonym: string, toAgency: string, jobMatchId: string): Promise<RelocationReferral> {
    const subject = typeof pseudonym === 'string' ? fromAgencyPseudonym(this.keyring, caller.agency, pseudonym) : null;
    if (!subject || !isMatchId(jobMatchId)) throw new NotFound(MATCH_NOT_FOUND);
    if (typeof toAgency !== 'string' || !this.registry.current().hasRole(toAgency, 'CONSUMER')) throw new BadUserInput('toAgency must be the id of a CONSUMER agency in the registry');
    if (toAgency === caller.agency) throw new BadUserInput('toAgency must be another agency than yours');
    const match = await this.repository.match(jobMatchId, subject);
    if (!match) throw new NotFound(MATCH_NOT_FOUND);
    // No willingness, no referral: the claimant's RELOCATION consent to the receiving agency, naming its province.
    if (!(await this.willingness.toward(subject, toAgency))) {
      note.disclosed([subject], []);
      throw new ConsentRequired(`no willingness of this claimant to relocate to ${toAgency} is in force (a RELOCATION consent to it naming its province)`);
    }
    // What the receiving agency may see: RELOCATION, provider = the referring agency (the caller).
    const verdicts = (await this.disclosure.pairVerdicts(toAgency, 'RELOCATION', MATCH_FIELDS, [{ subject, provider: caller.agency }], note))(subject, caller.agency);
    const allowed = MATCH_FIELDS.filter((_, i) => verdicts[i].permit);
    if (allowed.length === 0) {
      note.disclosed([subject], MATCH_FIELDS);
      if (verdicts.some((v) => isConsentReason(v.reason))) {
        throw new ConsentRequired(`no RELOCATION consent of this claimant to ${toAgency} is in force`, { reasons: verdicts.map((v) => v.reason) });
      }
      throw new NoAgreement(`no agreement in force lets ${caller.agency} refer claimants to ${toAgency} for RELOCATION`, { reasons: verdicts.map((v) => v.reason) });
    }
    const referral = await this.repository.refer(match, subject, caller.agency, toAgency);
    this.relay.nudge();
    note.disclosed([subject], allowed);
    this.logger.info({ referral: referral.id, from: caller.agency, to: toAgency, fields: allowed }, 'relocation referral recorded');
    return { id: referral.id, jobMatchId: match.id, toAgency, referredAt: new Date(referral.createdAt).toISOString(), disclosedFields: allowed };
  }

  /** Referrals received, newest first: only those the caller may see now shape the page (consent before paging). */
  async referrals(note: DisclosureNote, caller: VerifiedCaller, first: number | null, after: string | null): Promise<ReceivedReferralPage> {
    const size = checkPageSize(first);
    if (!size.ok) throw new BadUserInput(size.reason);
    const binding: CursorBinding = { operation: 'referrals', agency: caller.agency, purpose: caller.purpose, filter: {}, ordering: 'referredAt desc, id desc' };
    const start = this.position(binding, after);
    const fields = new Set<string>();
    const page = await walkPage<ReceivedRow, PageCursor, ReceivedReferral & { subject: string }>({
      size: size.value,
      batch: batchFor(size.value),
      maxBatch: MATCH_WALK.maxBatch,
      maxRows: MATCH_WALK.maxRows,
      after: start,
      scan: (position, limit) => this.repository.received(caller.agency, position, limit),
      positionOf: (r) => ({ at: r.referredAtKey, id: r.referralId }),
      keep: async (rows) => {
        const permitted = await this.disclosure.pairVerdicts(caller.agency, 'RELOCATION', MATCH_FIELDS, rows.map((r) => ({ subject: r.subject, provider: r.referredBy })), note);
        return rows.flatMap((r) => {
          const verdicts = permitted(r.subject, r.referredBy);
          // Consent withdrawn or agreement ended: not shown at all.
          return verdicts.some((v) => v.permit) ? [{ row: r, node: this.received(caller.agency, r, verdicts.map((v) => v.permit), verdicts.map((v) => v.reason)) }] : [];
        });
      },
    });
    for (const n of page.nodes) MATCH_FIELDS.forEach((f) => n.withheld.every((w) => w.field !== f) && fields.add(f));
    note.disclosed(new Set(page.nodes.map((n) => n.subject)), fields);
    return {
      nodes: page.nodes.map(({ subject: _subject, ...node }) => node),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endPosition ? this.disclosure.sealCursor(binding, positionText(page.endPosition)) : null },
    };
  }

  /** Where a page starts: the position sealed in `after`, which must be a cursor minted for this very binding. */
  private position(binding: CursorBinding, after: string | null | undefined): PageCursor | null {
    if (after === null || after === undefined) return null;
    const position = positionFrom(this.disclosure.openCursor(binding, after));
    if (!position) throw new Error('a sealed match cursor holds no position: minted by another version');
    return position;
  }

  private received(agency: string, r: ReceivedRow, shown: boolean[], reasons: string[]): ReceivedReferral & { subject: string } {
    return {
      subject: r.subject,
      id: r.referralId,
      pseudonym: toAgencyPseudonym(this.keyring, agency, r.subject),
      fromAgency: r.referredBy,
      status: r.referralStatus,
      referredAt: new Date(r.referredAt).toISOString(),
      postingId: r.postingId,
      title: r.title,
      city: r.city,
      hourlyWageCents: Number(r.hourlyWageCents),
      languageRequirement: r.languageRequirement,
      province: shown[0] ? r.province : null,
      nocCode: shown[1] ? r.nocCode : null,
      withheld: MATCH_FIELDS.flatMap((f, i) => (shown[i] ? [] : [{ field: f, reason: reasons[i] }])),
    };
  }

  /** Agencies with an agreement in force toward `consumer` for `purpose` covering every match field. */
  private providersToward(consumer: string, purpose: 'JOB_MATCHING' | 'RELOCATION'): string[] {
    const now = new Date();
    const agreements = this.registry.current().agreementsFor({ consumer, purpose, at: now });
    return [...new Set(agreements.filter((a) => MATCH_FIELDS.every((f) => (a.fields as readonly string[]).includes(f))).map((a) => a.provider))];
  }

  private view(agency: string, r: MatchRow): Omit<JobMatch, 'languageFit'> {
    return {
      id: r.id,
      pseudonym: toAgencyPseudonym(this.keyring, agency, r.subject),
      publisher: r.publisher,
      postingId: r.postingId,
      title: r.title,
      nocCode: r.nocCode,
      province: r.province,
      city: r.city,
      hourlyWageCents: Number(r.hourlyWageCents),
      languageRequirement: r.languageRequirement,
      minEnglishClb: r.minEnglishClb ?? null,
      minFrenchNclc: r.minFrenchNclc ?? null,
      postedAt: r.postedAt ? new Date(r.postedAt).toISOString() : null,
      score: r.score,
      matchedAt: new Date(r.matchedAt).toISOString(),
    };
  }
}
