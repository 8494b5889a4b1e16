import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ClientGrpc } from '@nestjs/microservices';
import type { FastifyRequest } from 'fastify';
import { fromAgencyPseudonym, toAgencyPseudonym, type PseudonymKeyring } from '@passerelle/crypto';
import type { consentAudit } from '@passerelle/contracts';
import { BadUserInput, NotFound } from '../errors';
import { noteDisclosure, type VerifiedCaller } from '../exchange/exchange-context';
import { call, CONSENT_AUDIT_CHANNEL } from './consent-audit.client';
import { ConsentEndings } from './consent-endings';
import { PSEUDONYM_KEYRING } from '../exchange/pseudonym-keyring.provider';
import type { Consent, DisclosurePage, RecordConsentInput } from './dto/consent-types';

/** One message for "not a pseudonym of yours" and "no such claimant": no oracle for guessing. */
export const CONSENT_SUBJECT_NOT_FOUND = 'no claimant with this pseudonym is visible to you';
export const MAX_DISCLOSURES_PAGE = 500;

/** consent-audit names request fields in snake_case; agencies see the GraphQL names. */
const GRAPHQL_NAMES: Array<[RegExp, string]> = [
  [/\bvalid_from\b/g, 'validFrom'],
  [/\bexpires_at\b/g, 'expiresAt'],
  [/\bevidence_sha256\b/g, 'evidenceSha256'],
  [/\bconsent_id\b/g, 'consentId'],
];

function inGraphqlTerms(e: unknown): unknown {
  if (!(e instanceof BadUserInput)) return e;
  let message = e.message;
  for (const [from, to] of GRAPHQL_NAMES) message = message.replace(from, to);
  return new BadUserInput(message, e.details);
}

/**
 * Consents over GraphQL: agencies speak their own pseudonyms, consent-audit speaks internal ids.
 * Records and revocations are the calling agency's own; reads show only consents the caller
 * collected or receives.
 */
@Injectable()
export class ConsentsService implements OnModuleInit {
  private consents!: consentAudit.ConsentsClient;
  private ledger!: consentAudit.LedgerClient;

  constructor(
    @Inject(CONSENT_AUDIT_CHANNEL) private readonly channel: ClientGrpc,
    @Inject(PSEUDONYM_KEYRING) private readonly keyring: PseudonymKeyring,
    private readonly endings: ConsentEndings,
  ) {}

  onModuleInit() {
    this.consents = this.channel.getService<consentAudit.ConsentsClient>('Consents');
    this.ledger = this.channel.getService<consentAudit.LedgerClient>('Ledger');
  }

  async record(request: FastifyRequest, caller: VerifiedCaller, input: RecordConsentInput): Promise<Consent> {
    const subject = this.subjectOf(caller, input.pseudonym);
    noteDisclosure(request, [subject], []);
    try {
      const record = await call(
        this.consents.record({
          subject,
          purpose: input.purpose,
          recipient: input.recipient,
          collectedBy: caller.agency,
          validFrom: input.validFrom,
          expiresAt: input.expiresAt,
          evidenceSha256: input.evidenceSha256,
          destinations: input.destinations ?? [],
        }),
      );
      return this.toConsent(caller, record);
    } catch (e) {
      throw inGraphqlTerms(e);
    }
  }

  async revoke(request: FastifyRequest, caller: VerifiedCaller, consentId: string): Promise<Consent> {
    let record: consentAudit.ConsentRecord;
    try {
      record = await call(this.consents.revoke({ consentId, revokedBy: caller.agency }));
    } catch (e) {
      throw inGraphqlTerms(e);
    }
    noteDisclosure(request, [record.subject], []);
    // Effective now for what depends on it (open relocation referrals are withdrawn before this answers).
    await this.endings.ended({ subject: record.subject, purpose: record.purpose, recipient: record.recipient });
    return this.toConsent(caller, record);
  }

  async list(request: FastifyRequest, caller: VerifiedCaller, pseudonym: string): Promise<Consent[]> {
    const subject = this.subjectOf(caller, pseudonym);
    noteDisclosure(request, [subject], []);
    const { consents } = await call(this.consents.list({ subject }));
    return (consents ?? []).filter((c) => c.collectedBy === caller.agency || c.recipient === caller.agency).map((c) => this.toConsent(caller, c));
  }

  /** The ledger's disclosures of a claimant, for an agency the registry declares a collector of their consent. */
  async disclosures(request: FastifyRequest, caller: VerifiedCaller, pseudonym: string, first: number | null | undefined, before: number | null | undefined): Promise<DisclosurePage> {
    const subject = this.subjectOf(caller, pseudonym);
    noteDisclosure(request, [subject], []);
    const size = first ?? 100;
    if (!Number.isInteger(size) || size < 1 || size > MAX_DISCLOSURES_PAGE) throw new BadUserInput(`first must be between 1 and ${MAX_DISCLOSURES_PAGE}`);
    if (before != null && (!Number.isSafeInteger(before) || before < 1)) throw new BadUserInput('before must be a ledger seq (a positive whole number) from a previous page');
    // consent-audit decides who may see them (a declared collector of this claimant): the acting agency is the verified caller.
    const page = await call(this.ledger.disclosures({ subject, first: size, beforeSeq: before ?? 0, agency: caller.agency }));
    return {
      disclosures: (page.disclosures ?? []).map((d) => ({ seq: d.seq, time: d.time, agency: d.agency, purpose: d.purpose, operation: d.operation, fields: d.fields ?? [] })),
      hasMore: page.hasMore === true,
    };
  }

  /** The internal id behind the caller's own pseudonym; anything else reads as not found. */
  private subjectOf(caller: VerifiedCaller, pseudonym: string): string {
    const subject = typeof pseudonym === 'string' ? fromAgencyPseudonym(this.keyring, caller.agency, pseudonym) : null;
    if (!subject) throw new NotFound(CONSENT_SUBJECT_NOT_FOUND);
    return subject;
  }

  private toConsent(caller: VerifiedCaller, c: consentAudit.ConsentRecord): Consent {
    return {
      id: c.id,
      pseudonym: toAgencyPseudonym(this.keyring, caller.agency, c.subject),
      purpose: c.purpose,
      recipient: c.recipient,
      collectedBy: c.collectedBy,
      validFrom: c.validFrom,
      expiresAt: c.expiresAt,
      evidenceSha256: c.evidenceSha256,
      grantedAt: c.grantedAt,
      revokedAt: c.revokedAt || null,
      revokedBy: c.revokedBy || null,
      destinations: c.destinations ?? [],
      receipt: c.receipt,
    };
  }
}

