import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { isInternalId, type GatewayKeys } from '@passerelle/crypto';
import type { consentAudit } from '@passerelle/contracts';
import { LOGGER, type Logger } from '@passerelle/logger';
import { RegistryHolder } from '@passerelle/registry';
import { ConsentNotFound, ConsentPermissionDenied, InvalidConsentInput } from './consent-errors';
import { isConsentId, parseConsentGrant } from './consent-input';
import { consentGrantRefusal, declaredConsents } from './consent-policy';
import { ConsentOutboxRelay } from './consent-outbox.relay';
import { parseInForceRequest, recipientsInForce } from './consents-in-force';
import { signReceipt } from './consent-receipts';
import { ConsentsRepository, type ConsentRow } from './consents.repository';
import { CONSENT_TOPIC } from './consents.tokens';
import { GATEWAY_KEYS } from '../gateway-keys.token';

/** Record, revoke and list consents; every answer carries a receipt signed by the gateway key. */
@Injectable()
export class ConsentsService {
  constructor(
    private readonly repository: ConsentsRepository,
    private readonly registry: RegistryHolder,
    private readonly outbox: ConsentOutboxRelay,
    @Inject(GATEWAY_KEYS) private readonly keys: GatewayKeys,
    @Inject(CONSENT_TOPIC) private readonly topic: string,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async record(req: consentAudit.RecordConsentRequest): Promise<consentAudit.ConsentRecord> {
    const now = new Date();
    const registry = this.registry.current();
    const grant = parseConsentGrant(req, registry, now);
    const row = await this.repository.insert(randomUUID(), grant, now, this.topic, (priors) => {
      const refused = consentGrantRefusal(grant, registry, priors);
      if (refused) throw refused;
    });
    this.outbox.nudge();
    this.logger.info({ consent_id: row.id, purpose: row.purpose, recipient: row.recipient, collected_by: row.collectedBy }, 'consent recorded');
    return this.toRecord(row, now);
  }

  /** Only the collecting agency may revoke; revoking a revoked consent answers it unchanged. */
  async revoke(req: consentAudit.RevokeConsentRequest): Promise<consentAudit.ConsentRecord> {
    const consentId = req.consentId ?? '';
    const revokedBy = req.revokedBy ?? '';
    const problems: string[] = [];
    if (!isConsentId(consentId)) problems.push('consent_id must be a consent id (a UUID)');
    if (!revokedBy) problems.push('revoked_by is required (the revoking agency id)');
    if (problems.length > 0) throw new InvalidConsentInput(problems);
    const now = new Date();
    let changed = false;
    const row = await this.repository.revoke(consentId.toLowerCase(), revokedBy, now, this.topic, (current) => {
      if (!current) throw new ConsentNotFound(consentId);
      if (current.collectedBy !== revokedBy) throw new ConsentPermissionDenied(`only the agency that collected consent ${consentId} may revoke it`);
      changed = current.revokedAt === null;
      return changed;
    });
    if (changed) {
      this.outbox.nudge();
      this.logger.info({ consent_id: row.id, purpose: row.purpose, recipient: row.recipient, revoked_by: revokedBy }, 'consent revoked');
    }
    return this.toRecord(row, now);
  }

  async list(req: consentAudit.ListConsentsRequest): Promise<consentAudit.ListConsentsResponse> {
    if (!isInternalId(req.subject ?? '')) throw new InvalidConsentInput(['subject must be a gateway-internal id (i_ followed by 22 base64url characters)']);
    const now = new Date();
    const rows = await this.repository.findBySubject(req.subject);
    return { consents: await Promise.all(rows.map((r) => this.toRecord(r, now))) };
  }

  /** Per subject, the recipients with a consent for the purpose in force at `at` (one read-only query). */
  async inForce(req: consentAudit.InForceRequest): Promise<consentAudit.InForceResponse> {
    const q = parseInForceRequest(req, new Date());
    const rows = declaredConsents(await this.repository.inForceTerms(q.subjects, q.purpose, q.at), this.registry.current());
    return { subjects: recipientsInForce(req.subjects ?? [], rows, q.at) };
  }

  private async toRecord(row: ConsentRow, now: Date): Promise<consentAudit.ConsentRecord> {
    return {
      id: row.id,
      subject: row.subject,
      purpose: row.purpose,
      recipient: row.recipient,
      collectedBy: row.collectedBy,
      validFrom: row.validFrom.toISOString(),
      expiresAt: row.expiresAt.toISOString(),
      evidenceSha256: row.evidenceSha256,
      grantedAt: row.grantedAt.toISOString(),
      revokedAt: row.revokedAt ? row.revokedAt.toISOString() : '',
      revokedBy: row.revokedBy ?? '',
      destinations: row.destinations ?? [],
      receipt: await signReceipt(this.keys, this.registry.current().gatewayId, row, now),
    };
  }
}
