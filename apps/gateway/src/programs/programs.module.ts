import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ClaimantsModule } from '../claimants/claimants.module';
import { ConsentsModule } from '../consents/consents.module';
import { ProgramsRepository } from './programs.repository';
import { ProgramsResolver } from './programs.resolver';
import { ProgramsService } from './programs.service';

/** Programs as data (issue 8): eligibility, applyToProgram under caps, programUptake. */
@Module({
  imports: [ClaimantsModule, ConsentsModule],
  providers: [{ provide: ProgramsRepository, inject: [DataSource], useFactory: (ds: DataSource) => new ProgramsRepository(ds) }, ProgramsService, ProgramsResolver],
})
export class ProgramsModule {}
