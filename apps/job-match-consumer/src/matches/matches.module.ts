import { Module } from '@nestjs/common';
import { loadPseudonymKeyring } from '@passerelle/crypto';
import { CONSUMER_CONFIG, type ConsumerConfig } from '../consumer.config';
import { ConsentAuditClient, consentAuditChannel } from './consent-audit.client';
import { DeadLetterWriter } from './dead-letter.writer';
import { JobMatchConsumer } from './job-match.consumer';
import { JobMatchPipeline, PSEUDONYM_KEYRING } from './job-match.pipeline';
import { JobMatchingConsent } from './job-matching-consent';
import { MatchPurgeService } from './match-purge.service';
import { MatchesMetrics } from './matches.metrics';
import { MatchesRepository } from './matches.repository';
import { RegistryLedgerRecorder } from './registry-ledger';

/** Job-match events: verify, check consent, store once, dead-letter the bad, audit all. */
@Module({
  imports: [consentAuditChannel],
  providers: [
    {
      provide: PSEUDONYM_KEYRING,
      inject: [CONSUMER_CONFIG],
      useFactory: (config: ConsumerConfig) => loadPseudonymKeyring(config.PASSERELLE_SECRETS_DIR),
    },
    ConsentAuditClient,
    JobMatchingConsent,
    MatchesRepository,
    MatchesMetrics,
    DeadLetterWriter,
    JobMatchPipeline,
    JobMatchConsumer,
    MatchPurgeService,
    RegistryLedgerRecorder,
  ],
  exports: [MatchPurgeService],
})
export class MatchesModule {}
