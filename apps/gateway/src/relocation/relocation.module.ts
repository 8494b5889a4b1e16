import { Module } from '@nestjs/common';
import { consentAuditChannel } from '../consents/consent-audit.client';
import { OffersRepository } from './offers.repository';
import { OffersResolver } from './offers.resolver';
import { OffersService } from './offers.service';
import { WillingnessReader } from './willingness.reader';

/** Relocation across provinces (issue 16): offers of receiving provinces, the claimant's willingness. */
@Module({
  imports: [consentAuditChannel],
  providers: [OffersRepository, OffersService, OffersResolver, WillingnessReader],
  exports: [WillingnessReader],
})
export class RelocationModule {}
