import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { LOGGER, type Logger } from '@passerelle/logger';
import { ConsentEndings } from '../consents/consent-endings';
import { ReferralsService } from './referrals.service';

/**
 * Withdraws a claimant's open referrals in the very request that revokes their willingness
 * (revokeConsent on a RELOCATION consent), so the receiving province stops seeing them at once and
 * follows the WITHDRAWN event. Backstop: every move re-reads the willingness and withdraws when it
 * has ended (expiry, or a failure here) — see ReferralsService.move.
 */
@Injectable()
export class WillingnessEndings implements OnModuleInit {
  constructor(
    private readonly endings: ConsentEndings,
    private readonly referrals: ReferralsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit() {
    this.endings.on(async (ended) => {
      if (ended.purpose !== 'RELOCATION') return;
      try {
        await this.referrals.withdrawOnWillingnessEnd(ended.subject, ended.recipient);
      } catch (e) {
        // The revocation stands; the next move of the referral withdraws it.
        this.logger.warn({ error: (e as Error).name, recipient: ended.recipient }, 'withdrawing referrals on willingness end failed; the next move will');
      }
    });
  }
}
