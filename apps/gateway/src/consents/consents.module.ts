import { Module } from '@nestjs/common';
import { consentAuditChannel } from './consent-audit.client';
import { ConsentEndings } from './consent-endings';
import { ConsentsResolver } from './consents.resolver';
import { ConsentsService } from './consents.service';
import { DecisionsClient } from './decisions.client';

/**
 * Consents for agencies (recordConsent, revokeConsent, consents, disclosures) and the
 * DecisionsClient that other gateway features use to ask consent-audit whether a field may be
 * disclosed.
 */
@Module({
  imports: [consentAuditChannel],
  providers: [DecisionsClient, ConsentsService, ConsentsResolver, ConsentEndings],
  exports: [DecisionsClient, ConsentEndings],
})
export class ConsentsModule {}
