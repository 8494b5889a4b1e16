import { Inject, Injectable } from '@nestjs/common';
import type { consentAudit } from '@passerelle/contracts';
import { LOGGER, type Logger } from '@passerelle/logger';
import { decideDisclosures } from '@passerelle/policy';
import { RegistryHolder } from '@passerelle/registry';
import { Counter, Registry as MetricsRegistry } from 'prom-client';
import { declaredConsents } from '../consents/consent-policy';
import { ConsentsRepository } from '../consents/consents.repository';
import { parseDecideRequest } from './decide-input';

/**
 * Decides disclosures with the registry in force and the consents as they are NOW: consents
 * are read per call (one query for the distinct subjects) and never cached, so a revocation
 * takes effect for the very next request of every gateway instance.
 */
@Injectable()
export class DecisionsService {
  private readonly verdicts: Counter<'purpose' | 'reason'>;

  constructor(
    private readonly consents: ConsentsRepository,
    private readonly registry: RegistryHolder,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsRegistry,
  ) {
    this.verdicts = new Counter({
      name: 'passerelle_disclosure_verdicts_total',
      help: 'Disclosure verdicts by purpose and reason',
      labelNames: ['purpose', 'reason'],
      registers: [metrics],
    });
  }

  async decide(req: consentAudit.DecideRequest): Promise<consentAudit.DecideResponse> {
    const q = parseDecideRequest(req, new Date());
    const registry = this.registry.current();
    if (q.candidates.length === 0) return { verdicts: [], registryVersion: registry.version };
    const consentRequired = registry.consentRequired(q.purpose);
    const subjects = [...new Set(q.candidates.map((c) => c.subject))];
    // Only consents whose collector the registry declares count: a self-granted one unlocks nothing.
    const consents = consentRequired ? declaredConsents(await this.consents.termsFor(subjects, q.purpose, q.consumer), registry) : [];
    const agreements = registry.document.agreements.filter((a) => a.consumer === q.consumer);
    const decided = decideDisclosures({ consumer: q.consumer, purpose: q.purpose, candidates: q.candidates, agreements, consents, consentRequired, at: q.at });
    // The legal basis travels with each verdict, so the ledger entry of the exchange can name it.
    const legalBasis = new Map(agreements.map((a) => [a.id, a.legalBasis]));
    const verdicts: consentAudit.Verdict[] = decided.map((v) => ({
      permit: v.permit,
      reason: v.reason,
      agreementId: v.agreementId,
      legalBasis: legalBasis.get(v.agreementId) ?? '',
      consentIds: v.consentIds ?? [],
    }));
    const counts = new Map<string, number>();
    for (const v of verdicts) counts.set(v.reason, (counts.get(v.reason) ?? 0) + 1);
    for (const [reason, n] of counts) this.verdicts.inc({ purpose: q.purpose, reason }, n);
    this.logger.debug({ consumer: q.consumer, purpose: q.purpose, candidates: q.candidates.length, reasons: Object.fromEntries(counts) }, 'disclosures decided');
    return { verdicts, registryVersion: registry.version };
  }
}
