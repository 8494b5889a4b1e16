import { Module } from '@nestjs/common';
import { DisclosureModule } from '../disclosure';
import { ClaimantsRepository } from './claimants.repository';
import { ClaimantsResolver } from './claimants.resolver';
import { ClaimantsService } from './claimants.service';

/**
 * Pseudonymised claimant records under data-sharing agreements (issue 5): submitClaimants,
 * claimant, claimants. Reads go through the shared disclosure path (disclosure/).
 */
@Module({
  imports: [DisclosureModule],
  providers: [ClaimantsRepository, ClaimantsService, ClaimantsResolver],
  exports: [ClaimantsService],
})
export class ClaimantsModule {}
