import { Module } from '@nestjs/common';
import { DisclosureModule } from '../disclosure';
import { MatchesRepository } from './matches.repository';
import { MatchesResolver } from './matches.resolver';
import { MatchesService } from './matches.service';

/** Job-bank matches for agencies (issue 7): jobMatches, referRelocation, referrals. */
@Module({
  imports: [DisclosureModule],
  providers: [MatchesRepository, MatchesService, MatchesResolver],
})
export class MatchesModule {}
