import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DisclosureModule } from '../disclosure';
import { ProgramsRepository } from './programs.repository';
import { ProgramsResolver } from './programs.resolver';
import { ProgramsService } from './programs.service';

/** Programs as data (issue 8): eligibility, applyToProgram under caps, programUptake. */
@Module({
  imports: [DisclosureModule],
  providers: [{ provide: ProgramsRepository, inject: [DataSource], useFactory: (ds: DataSource) => new ProgramsRepository(ds) }, ProgramsService, ProgramsResolver],
})
export class ProgramsModule {}
