import { Module } from '@nestjs/common';
import { consentAuditChannel } from './consent-audit.client';
import { ConsentEndings } from './consent-endings';
import { ConsentsResolver } from './consents.resolver';
import { ConsentsService } from './consents.service';

/**
 * Consents for agencies (recordConsent, revokeConsent, consents, disclosures). Disclosure
 * decisions are made in the gateway itself (disclosure/disclosure.service.ts), with the consent
 * read in the SQL of the records; consent-audit's Decisions.Decide stays for other callers.
 */
@Module({
  imports: [consentAuditChannel],
  providers: [ConsentsService, ConsentsResolver, ConsentEndings],
  exports: [ConsentEndings],
})
export class ConsentsModule {}
