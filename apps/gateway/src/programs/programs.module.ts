import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DisclosureModule } from '../disclosure';
import { ProgramsRepository } from './programs.repository';
import { EmptySpotsRepository } from './empty-spots.repository';
import { SpotsSnapshots } from './spots-snapshots';
import { ProgramsResolver } from './programs.resolver';
import { ProgramsService } from './programs.service';
import { ProgramsOutboxRelay } from './programs-outbox.relay';
import { PROGRAMS_TOPIC, programsTopicFromEnv } from './programs.tokens';

/** Programs as data (issues 8, 17): eligibility per stream, applyToProgram under paced caps with a waitlist, withdrawApplication, programUptake, eligibleNotApplied, simulateRule, and the relay of program events. */
@Module({
  imports: [DisclosureModule],
  providers: [{ provide: ProgramsRepository, inject: [DataSource], useFactory: (ds: DataSource) => new ProgramsRepository(ds) }, { provide: EmptySpotsRepository, inject: [DataSource], useFactory: (ds: DataSource) => new EmptySpotsRepository(ds) }, { provide: SpotsSnapshots, inject: [EmptySpotsRepository], useFactory: (r: EmptySpotsRepository) => new SpotsSnapshots(r) }, ProgramsService, ProgramsResolver, ProgramsOutboxRelay, { provide: PROGRAMS_TOPIC, useFactory: () => programsTopicFromEnv() }],
})
export class ProgramsModule {}
