import { Module } from '@nestjs/common';
import { consentAuditChannel } from '../consents/consent-audit.client';
import { DisclosureModule } from '../disclosure';
import { CandidatesService } from './candidates.service';
import { CandidatesRepository, OffersRepository } from './offers.repository';
import { OffersResolver } from './offers.resolver';
import { OffersService } from './offers.service';
import { ReferralsRepository } from './referrals.repository';
import { ReferralsResolver } from './referrals.resolver';
import { ReferralsService } from './referrals.service';
import { WillingnessReader } from './willingness.reader';

/** Relocation across provinces (issue 16): offers of receiving provinces, the claimant's willingness. */
@Module({
  imports: [consentAuditChannel, DisclosureModule],
  providers: [OffersRepository, OffersService, OffersResolver, WillingnessReader, CandidatesRepository, CandidatesService, ReferralsRepository, ReferralsService, ReferralsResolver],
  exports: [WillingnessReader],
})
export class RelocationModule {}
