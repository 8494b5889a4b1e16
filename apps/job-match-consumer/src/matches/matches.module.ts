import { Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { loadPseudonymKeyring } from '@passerelle/crypto';
import { LOGGER, type Logger } from '@passerelle/logger';
import { RegistryHolder } from '@passerelle/registry';
import { CONSUMER_CONFIG, type ConsumerConfig } from '../consumer.config';
import { ConsentAuditClient, consentAuditChannel } from './consent-audit.client';
import { DeadLetterWriter } from './dead-letter.writer';
import { JobMatchConsumer } from './job-match.consumer';
import { JobMatchPipeline, PSEUDONYM_KEYRING } from './job-match.pipeline';
import { JobMatchingConsent } from './job-matching-consent';
import { MatchPurgeService } from './match-purge.service';
import { MatchesMetrics } from './matches.metrics';
import { MatchesRepository } from './matches.repository';

/** Re-reads the registry on SIGHUP (a revoked publisher key stops verifying at once). */
@Injectable()
class RegistryReloadOnHangup implements OnModuleInit, OnApplicationShutdown {
  private readonly onHangup = () => {
    this.logger.info({ file: this.holder.file }, 'SIGHUP: reloading the registry');
    void this.holder.reload();
  };
  constructor(
    private readonly holder: RegistryHolder,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}
  onModuleInit() {
    process.on('SIGHUP', this.onHangup);
  }
  onApplicationShutdown() {
    process.off('SIGHUP', this.onHangup);
  }
}

/** Job-match events: verify, check consent, store once, dead-letter the bad, audit all. */
@Module({
  imports: [consentAuditChannel],
  providers: [
    {
      provide: RegistryHolder,
      inject: [CONSUMER_CONFIG, LOGGER],
      useFactory: (config: ConsumerConfig, logger: Logger) => RegistryHolder.load(config.PASSERELLE_REGISTRY, logger),
    },
    {
      provide: PSEUDONYM_KEYRING,
      inject: [CONSUMER_CONFIG],
      useFactory: (config: ConsumerConfig) => loadPseudonymKeyring(config.PASSERELLE_SECRETS_DIR),
    },
    RegistryReloadOnHangup,
    ConsentAuditClient,
    JobMatchingConsent,
    MatchesRepository,
    MatchesMetrics,
    DeadLetterWriter,
    JobMatchPipeline,
    JobMatchConsumer,
    MatchPurgeService,
  ],
  exports: [MatchPurgeService],
})
export class MatchesModule {}
