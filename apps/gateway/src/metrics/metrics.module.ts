import { Global, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { createMetricsRegistry } from '@passerelle/observability';
import { MetricsController } from './metrics.controller';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [{ provide: Registry, useFactory: () => createMetricsRegistry('gateway') }],
  exports: [Registry],
})
export class MetricsModule {}
