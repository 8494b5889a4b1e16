import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { fromAgencyPseudonym, toAgencyPseudonym, type PseudonymKeyring } from '@passerelle/crypto';
import { LOGGER, type Logger } from '@passerelle/logger';
import type { DisclosureCandidate, Verdict } from '@passerelle/policy';
import { RegistryHolder } from '@passerelle/registry';
import { PSEUDONYM_KEYRING } from '../exchange/pseudonym-keyring.provider';
import { DecisionsClient } from '../consents/decisions.client';
import { BadUserInput, ConsentRequired, NoAgreement, NotFound } from '../errors';
import { noteDisclosure, type VerifiedCaller } from '../exchange/exchange-context';
import { checkMatchFilter, checkPageSize, decodeCursor, encodeCursor, isMatchId } from './match-input';
import { MatchesRepository, type MatchRow } from './matches.repository';
import type { JobMatch, JobMatchPage, ReceivedReferral, ReceivedReferralPage, RelocationReferral } from './dto/job-match.types';

/**
 * The claimant fields a job match reveals: where the job is and what it is, for this claimant.
 * A match is disclosed to agency C under purpose X only when consent-audit permits both fields,
 * provider = the agency the match comes from (the publisher for jobMatches, the referring agency
 * for referrals): an agreement in force covering them, and the claimant's consent for X to C.
 */
export const MATCH_FIELDS = ['province', 'nocCode'] as const;
export const MATCH_NOT_FOUND = 'no job match with this id is visible to you for this pseudonym';
const CONSENT_REASONS = new Set(['consent_required', 'consent_expired', 'consent_revoked']);
const MAX_SCAN_ROUNDS = 5;

@Injectable()
export class MatchesService {
  constructor(
    private readonly repository: MatchesRepository,
    @Inject(PSEUDONYM_KEYRING) private readonly keyring: PseudonymKeyring,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
    @Inject(DecisionsClient) private readonly decisions: Pick<DecisionsClient, 'decide'>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async jobMatches(request: FastifyRequest, caller: VerifiedCaller, rawFilter: Parameters<typeof checkMatchFilter>[0], first: number | null, after: string | null): Promise<JobMatchPage> {
    const size = checkPageSize(first);
    if (!size.ok) throw new BadUserInput(size.reason);
    const filter = checkMatchFilter(rawFilter);
    if (!filter.ok) throw new BadUserInput(filter.reason);
    let cursor = after === null || after === undefined ? null : decodeCursor(after);
    if (after !== null && after !== undefined && !cursor) throw new BadUserInput('after is not a cursor given by jobMatches');
    const publishers = this.providersToward(caller.agency, 'JOB_MATCHING');
    if (publishers.length === 0) throw new NoAgreement(`no agreement in force gives ${caller.agency} job-match fields (${MATCH_FIELDS.join(', ')}) for JOB_MATCHING`);

    const nodes: JobMatch[] = [];
    const subjects = new Set<string>();
    let hasNextPage = false;
    // Rows the caller may not see are skipped, so a page may need more than one scan.
    for (let round = 0; round < MAX_SCAN_ROUNDS && nodes.length < size.value; round++) {
      const rows = await this.repository.page(publishers, filter.value, cursor, size.value + 1);
      hasNextPage = rows.length > size.value;
      const scanned = rows.slice(0, size.value);
      const permitted = await this.permitted(caller.agency, 'JOB_MATCHING', scanned.map((r) => ({ subject: r.subject, provider: r.publisher })));
      for (const [i, row] of scanned.entries()) {
        cursor = { at: new Date(row.matchedAt), id: row.id };
        if (permitted(row.subject, row.publisher).every((v) => v.permit)) {
          nodes.push(this.view(caller.agency, row));
          subjects.add(row.subject);
          if (nodes.length === size.value) {
            // Page full before the scan's end: the rows after the cursor are still to come.
            if (i < scanned.length - 1) hasNextPage = true;
            break;
          }
        }
      }
      if (!hasNextPage) break;
    }
    noteDisclosure(request, subjects, subjects.size > 0 ? MATCH_FIELDS : []);
    return { nodes, pageInfo: { hasNextPage, endCursor: cursor ? encodeCursor(cursor) : null } };
  }

  async referRelocation(request: FastifyRequest, caller: VerifiedCaller, pseudonym: string, toAgency: string, jobMatchId: string): Promise<RelocationReferral> {
    const subject = typeof pseudonym === 'string' ? fromAgencyPseudonym(this.keyring, caller.agency, pseudonym) : null;
    if (!subject || !isMatchId(jobMatchId)) throw new NotFound(MATCH_NOT_FOUND);
    if (typeof toAgency !== 'string' || !this.registry.current().hasRole(toAgency, 'CONSUMER')) throw new BadUserInput('toAgency must be the id of a CONSUMER agency in the registry');
    if (toAgency === caller.agency) throw new BadUserInput('toAgency must be another agency than yours');
    const match = await this.repository.match(jobMatchId, subject);
    if (!match) throw new NotFound(MATCH_NOT_FOUND);
    // What the receiving agency may see: RELOCATION, provider = the referring agency (the caller).
    const verdicts = (await this.permitted(toAgency, 'RELOCATION', [{ subject, provider: caller.agency }]))(subject, caller.agency);
    const allowed = MATCH_FIELDS.filter((_, i) => verdicts[i].permit);
    if (allowed.length === 0) {
      noteDisclosure(request, [subject], MATCH_FIELDS);
      if (verdicts.some((v) => CONSENT_REASONS.has(v.reason))) {
        throw new ConsentRequired(`no RELOCATION consent of this claimant to ${toAgency} is in force`, { reasons: verdicts.map((v) => v.reason) });
      }
      throw new NoAgreement(`no agreement in force lets ${caller.agency} refer claimants to ${toAgency} for RELOCATION`, { reasons: verdicts.map((v) => v.reason) });
    }
    const referral = await this.repository.refer(match.id, subject, caller.agency, toAgency);
    noteDisclosure(request, [subject], allowed);
    this.logger.info({ referral: referral.id, from: caller.agency, to: toAgency, fields: allowed }, 'relocation referral recorded');
    return { id: referral.id, jobMatchId: match.id, toAgency, referredAt: new Date(referral.createdAt).toISOString(), disclosedFields: allowed };
  }

  async referrals(request: FastifyRequest, caller: VerifiedCaller, first: number | null, after: string | null): Promise<ReceivedReferralPage> {
    const size = checkPageSize(first);
    if (!size.ok) throw new BadUserInput(size.reason);
    const cursor = after === null || after === undefined ? null : decodeCursor(after);
    if (after !== null && after !== undefined && !cursor) throw new BadUserInput('after is not a cursor given by referrals');
    const rows = await this.repository.received(caller.agency, cursor, size.value + 1);
    const page = rows.slice(0, size.value);
    const permitted = await this.permitted(caller.agency, 'RELOCATION', page.map((r) => ({ subject: r.subject, provider: r.referredBy })));
    const nodes: ReceivedReferral[] = [];
    const subjects = new Set<string>();
    const fields = new Set<string>();
    for (const r of page) {
      const verdicts = permitted(r.subject, r.referredBy);
      if (!verdicts.some((v) => v.permit)) continue; // consent withdrawn or agreement ended: not shown at all
      const shown = (i: number) => verdicts[i].permit;
      MATCH_FIELDS.forEach((f, i) => shown(i) && fields.add(f));
      subjects.add(r.subject);
      nodes.push({
        id: r.referralId,
        pseudonym: toAgencyPseudonym(this.keyring, caller.agency, r.subject),
        fromAgency: r.referredBy,
        referredAt: new Date(r.referredAt).toISOString(),
        postingId: r.postingId,
        title: r.title,
        city: r.city,
        hourlyWageCents: Number(r.hourlyWageCents),
        languageRequirement: r.languageRequirement,
        province: shown(0) ? r.province : null,
        nocCode: shown(1) ? r.nocCode : null,
        withheld: MATCH_FIELDS.flatMap((f, i) => (shown(i) ? [] : [{ field: f, reason: verdicts[i].reason }])),
      });
    }
    noteDisclosure(request, subjects, fields);
    const last = page[page.length - 1];
    return {
      nodes,
      pageInfo: { hasNextPage: rows.length > size.value, endCursor: last ? encodeCursor({ at: new Date(last.referredAt), id: last.referralId }) : (after ?? null) },
    };
  }

  /** Agencies with an agreement in force toward `consumer` for `purpose` covering every match field. */
  private providersToward(consumer: string, purpose: 'JOB_MATCHING' | 'RELOCATION'): string[] {
    const now = new Date();
    const agreements = this.registry.current().agreementsFor({ consumer, purpose, at: now });
    return [...new Set(agreements.filter((a) => MATCH_FIELDS.every((f) => (a.fields as readonly string[]).includes(f))).map((a) => a.provider))];
  }

  /** One Decide call for every (subject, provider) × MATCH_FIELDS; verdicts looked up by pair. */
  private async permitted(consumer: string, purpose: string, pairs: Array<{ subject: string; provider: string }>): Promise<(subject: string, provider: string) => Verdict[]> {
    const unique = [...new Map(pairs.map((p) => [`${p.subject}|${p.provider}`, p])).values()];
    const candidates: DisclosureCandidate[] = unique.flatMap((p) => MATCH_FIELDS.map((field) => ({ subject: p.subject, field, provider: p.provider })));
    const verdicts = await this.decisions.decide(consumer, purpose, candidates);
    const byPair = new Map<string, Verdict[]>();
    unique.forEach((p, i) => byPair.set(`${p.subject}|${p.provider}`, verdicts.slice(i * MATCH_FIELDS.length, (i + 1) * MATCH_FIELDS.length)));
    const denied: Verdict[] = MATCH_FIELDS.map(() => ({ permit: false, reason: 'no_agreement', agreementId: '' }));
    return (subject, provider) => byPair.get(`${subject}|${provider}`) ?? denied;
  }

  private view(agency: string, r: MatchRow): JobMatch {
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
      postedAt: r.postedAt ? new Date(r.postedAt).toISOString() : null,
      score: r.score,
      matchedAt: new Date(r.matchedAt).toISOString(),
    };
  }
}
