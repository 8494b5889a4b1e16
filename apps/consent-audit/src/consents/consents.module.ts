import { Module } from '@nestjs/common';
import { loadGatewayKeys } from '@passerelle/crypto';
import { CONSENT_AUDIT_CONFIG, type ConsentAuditConfig } from '../consent-audit.config';
import { ConsentOutboxRelay } from './consent-outbox.relay';
import { ConsentsController } from './consents.controller';
import { ConsentsRepository } from './consents.repository';
import { ConsentsService } from './consents.service';
import { CONSENT_RECEIPT_KEYS, CONSENT_TOPIC, consentTopicFromEnv } from './consents.tokens';

/** gRPC Consents: record, revoke, list; the history and the outbox relay to Kafka. */
@Module({
  controllers: [ConsentsController],
  providers: [
    ConsentsRepository,
    ConsentsService,
    ConsentOutboxRelay,
    { provide: CONSENT_TOPIC, useFactory: () => consentTopicFromEnv() },
    {
      provide: CONSENT_RECEIPT_KEYS,
      inject: [CONSENT_AUDIT_CONFIG],
      useFactory: (config: ConsentAuditConfig) => loadGatewayKeys(config.PASSERELLE_SECRETS_DIR),
    },
  ],
  exports: [ConsentsRepository],
})
export class ConsentsModule {}
