import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { DependencyHealthService } from '@passerelle/observability';

@Module({ controllers: [HealthController], providers: [DependencyHealthService] })
export class HealthModule {}
