import { Module } from '@nestjs/common';
import { ConsentsModule } from '../consents/consents.module';
import { ClaimantsRepository } from './claimants.repository';
import { ClaimantsResolver } from './claimants.resolver';
import { ClaimantsService } from './claimants.service';

/**
 * Pseudonymised claimant records under data-sharing agreements (issue 5): submitClaimants,
 * claimant, claimants. Exports the pseudonym keyring and the repository for other features
 * (programs, statistics read the same records).
 */
@Module({
  imports: [ConsentsModule],
  providers: [ClaimantsRepository, ClaimantsService, ClaimantsResolver],
  exports: [ClaimantsRepository, ClaimantsService],
})
export class ClaimantsModule {}
