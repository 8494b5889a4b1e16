import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { StatisticsRepository } from './statistics.repository';
import { StatisticsResolver } from './statistics.resolver';
import { StatisticsService } from './statistics.service';

/** Safe statistics (issue 8): suppressed, differencing-resistant counts under STATISTICS agreements. */
@Module({ providers: [{ provide: StatisticsRepository, inject: [DataSource], useFactory: (ds: DataSource) => new StatisticsRepository(ds) }, StatisticsService, StatisticsResolver] })
export class StatisticsModule {}
