import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ClientGrpc } from '@nestjs/microservices';
import type { consentAudit } from '@passerelle/contracts';
import { willingnessInForce, type ListedConsent } from '@passerelle/policy';
import { RegistryHolder } from '@passerelle/registry';
import { call, CONSENT_AUDIT_CHANNEL } from '../consents/consent-audit.client';

/**
 * The claimant's willingness to relocate, read from consent-audit (the consents as recorded, with
 * their destinations): a RELOCATION consent to the receiving agency, in force, from a declared
 * collector, naming the agency's province.
 */
@Injectable()
export class WillingnessReader implements OnModuleInit {
  private consents!: consentAudit.ConsentsClient;

  constructor(
    @Inject(CONSENT_AUDIT_CHANNEL) private readonly channel: ClientGrpc,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
  ) {}

  onModuleInit() {
    this.consents = this.channel.getService<consentAudit.ConsentsClient>('Consents');
  }

  async toward(subject: string, receiver: string, at: Date = new Date()): Promise<ListedConsent | null> {
    const registry = this.registry.current();
    const listed = await call(this.consents.list({ subject }));
    return willingnessInForce(listed.consents, receiver, registry.agency(receiver)?.jurisdiction, at, (collector, recipient) => registry.mayCollectConsent(collector, 'RELOCATION', recipient));
  }
}
