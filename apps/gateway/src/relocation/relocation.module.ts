import { Module } from '@nestjs/common';
import { OffersRepository } from './offers.repository';
import { OffersResolver } from './offers.resolver';
import { OffersService } from './offers.service';

/** Relocation across provinces (issue 16): offers of receiving provinces. */
@Module({
  providers: [OffersRepository, OffersService, OffersResolver],
})
export class RelocationModule {}
