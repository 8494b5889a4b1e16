import { Module } from '@nestjs/common';
import { consentAuditChannel } from '../consents/consent-audit.client';
import { DisclosureModule } from '../disclosure';
import { CandidatesService } from './candidates.service';
import { CandidatesRepository, OffersRepository } from './offers.repository';
import { OffersResolver } from './offers.resolver';
import { OffersService } from './offers.service';
import { ReferralOutboxRelay } from './referral-outbox.relay';
import { REFERRAL_TOPIC, referralTopicFromEnv } from './referral-topic';
import { ReferralsRepository } from './referrals.repository';
import { ReferralsResolver } from './referrals.resolver';
import { ReferralsService } from './referrals.service';
import { WillingnessReader } from './willingness.reader';

/** Relocation across provinces (issue 16): offers of receiving provinces, the claimant's willingness. */
@Module({
  imports: [consentAuditChannel, DisclosureModule],
  providers: [OffersRepository, OffersService, OffersResolver, WillingnessReader, CandidatesRepository, CandidatesService, ReferralsRepository, ReferralsService, ReferralsResolver, ReferralOutboxRelay, { provide: REFERRAL_TOPIC, useFactory: () => referralTopicFromEnv() }],
  exports: [WillingnessReader],
})
export class RelocationModule {}
