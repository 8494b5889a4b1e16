import { Module } from '@nestjs/common';
import { DisclosureModule } from '../disclosure';
import { RelocationModule } from '../relocation/relocation.module';
import { LevelsRepository } from '../relocation/offers.repository';
import { LanguageFitReader } from './language-fit.reader';
import { MatchesRepository } from './matches.repository';
import { MatchesResolver } from './matches.resolver';
import { MatchesService } from './matches.service';

/** Job-bank matches for agencies (issue 7): jobMatches, referRelocation, referrals. */
@Module({
  imports: [DisclosureModule, RelocationModule],
  providers: [MatchesRepository, MatchesService, MatchesResolver, LevelsRepository, LanguageFitReader],
})
export class MatchesModule {}
