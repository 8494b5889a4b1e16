import { Module } from '@nestjs/common';
import { consentAuditChannel } from '../consents/consent-audit.client';
import { ConsentsModule } from '../consents/consents.module';
import { DisclosureModule } from '../disclosure';
import { WillingnessEndings } from './willingness-endings';
import { OutcomesRepository } from './outcomes.repository';
import { OutcomesResolver } from './outcomes.resolver';
import { OutcomesService } from './outcomes.service';
import { CandidatesService } from './candidates.service';
import { CandidatesRepository, LevelsRepository, OffersRepository } from './offers.repository';
import { OffersResolver } from './offers.resolver';
import { OffersService } from './offers.service';
import { ReferralOutboxRelay } from './referral-outbox.relay';
import { REFERRAL_TOPIC, referralTopicFromEnv } from './referral-topic';
import { ReferralsRepository } from './referrals.repository';
import { ReferralsResolver } from './referrals.resolver';
import { ReferralsService } from './referrals.service';
import { WillingnessReader } from './willingness.reader';
import { RelocationEvents } from './relocation-events';

/** Relocation across provinces (issue 16): offers of receiving provinces, the claimant's willingness. */
@Module({
  imports: [consentAuditChannel, DisclosureModule, ConsentsModule],
  providers: [OffersRepository, OffersService, OffersResolver, WillingnessReader, CandidatesRepository, LevelsRepository, CandidatesService, ReferralsRepository, ReferralsService, ReferralsResolver, ReferralOutboxRelay, RelocationEvents, WillingnessEndings, OutcomesRepository, OutcomesService, OutcomesResolver, { provide: REFERRAL_TOPIC, useFactory: () => referralTopicFromEnv() }],
  exports: [WillingnessReader, RelocationEvents, ReferralOutboxRelay],
})
export class RelocationModule {}
