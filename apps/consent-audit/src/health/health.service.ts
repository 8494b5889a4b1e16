import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { kafkaHealthCheck } from '@passerelle/messaging';
import type { HealthCheck } from '@passerelle/observability';
import { KAFKA } from '../kafka.token';

@Injectable()
export class HealthService implements OnApplicationShutdown {
  private readonly kafkaCheck: ReturnType<typeof kafkaHealthCheck>;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(KAFKA) kafka: Kafka,
    readonly registry: Registry,
  ) {
    this.kafkaCheck = kafkaHealthCheck(kafka);
  }

  checks(): Record<string, HealthCheck> {
    return {
      database: async () => {
        await this.dataSource.query('SELECT 1');
      },
      kafka: this.kafkaCheck.check,
    };
  }

  async onApplicationShutdown() {
    await this.kafkaCheck.close();
  }
}
