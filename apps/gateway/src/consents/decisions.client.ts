import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ClientGrpc } from '@nestjs/microservices';
import type { consentAudit } from '@passerelle/contracts';
import type { DisclosureCandidate, DisclosureReason, Verdict } from '@passerelle/policy';
import { call, CONSENT_AUDIT_CHANNEL } from './consent-audit.client';

export type { DisclosureCandidate, DisclosureReason, Verdict } from '@passerelle/policy';

/**
 * The gateway's handle on consent-audit's Decisions.Decide. The disclosure path no longer calls
 * it (issue 15: the gateway decides with the same libs/policy rules, consent read in the SQL of
 * the records, disclosure/disclosure.service.ts); kept for operators' tools and tests.
 * Subjects are gateway-internal pseudonyms.
 * Nothing is cached: every call reads the consents as they are now, so a revocation takes
 * effect for the very next request in every gateway instance.
 */
@Injectable()
export class DecisionsClient implements OnModuleInit {
  private decisions!: consentAudit.DecisionsClient;

  constructor(@Inject(CONSENT_AUDIT_CHANNEL) private readonly channel: ClientGrpc) {}

  onModuleInit() {
    this.decisions = this.channel.getService<consentAudit.DecisionsClient>('Decisions');
  }

  /** One verdict per candidate, in the same order. `at` defaults to now (consent-audit's clock). */
  async decide(consumer: string, purpose: string, candidates: readonly DisclosureCandidate[], at?: Date): Promise<Verdict[]> {
    if (candidates.length === 0) return [];
    const res = await call(
      this.decisions.decide({
        consumer,
        purpose,
        candidates: candidates.map((c) => ({ subject: c.subject, field: c.field, provider: c.provider })),
        at: at ? at.toISOString() : '',
      }),
    );
    const verdicts = res.verdicts ?? [];
    if (verdicts.length !== candidates.length) {
      throw new Error(`consent-audit answered ${verdicts.length} verdicts for ${candidates.length} candidates`);
    }
    const registryVersion = res.registryVersion || undefined;
    return verdicts.map((v) => ({
      permit: v.permit === true,
      reason: v.reason as DisclosureReason,
      agreementId: v.agreementId ?? '',
      // The legal basis of the verdict, carried into the exchange's ledger entry (DisclosureNote.relied).
      ...(v.legalBasis ? { legalBasis: v.legalBasis } : {}),
      ...(v.consentIds?.length ? { consentIds: v.consentIds } : {}),
      ...(registryVersion ? { registryVersion } : {}),
    }));
  }
}
