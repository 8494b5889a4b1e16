import { Module } from '@nestjs/common';
import { ClaimantsModule } from '../claimants/claimants.module';
import { ConsentsModule } from '../consents/consents.module';
import { MatchesRepository } from './matches.repository';
import { MatchesResolver } from './matches.resolver';
import { MatchesService } from './matches.service';

/** Job-bank matches for agencies (issue 7): jobMatches, referRelocation, referrals. */
@Module({
  imports: [ConsentsModule, ClaimantsModule],
  providers: [MatchesRepository, MatchesService, MatchesResolver],
})
export class MatchesModule {}
