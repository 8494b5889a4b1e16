import { Module } from '@nestjs/common';
import { ConsentOutboxRelay } from './consent-outbox.relay';
import { ConsentsController } from './consents.controller';
import { ConsentsRepository } from './consents.repository';
import { ConsentsService } from './consents.service';
import { CONSENT_TOPIC, consentTopicFromEnv } from './consents.tokens';
import { DisclosuresAccess } from './disclosures-access';

/** gRPC Consents: record, revoke, list; the history and the outbox relay to Kafka. */
@Module({
  controllers: [ConsentsController],
  providers: [
    ConsentsRepository,
    ConsentsService,
    ConsentOutboxRelay,
    DisclosuresAccess,
    { provide: CONSENT_TOPIC, useFactory: () => consentTopicFromEnv() },
  ],
  exports: [ConsentsRepository, DisclosuresAccess],
})
export class ConsentsModule {}
