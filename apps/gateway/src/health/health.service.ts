import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Kafka } from 'kafkajs';
import { checkHealth, type HealthReport } from '@passerelle/observability';
import { kafkaHealthCheck } from '@passerelle/messaging';
import { KAFKA } from '../kafka.token';

@Injectable()
export class HealthService implements OnApplicationShutdown {
  private readonly kafkaCheck: ReturnType<typeof kafkaHealthCheck>;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(KAFKA) kafka: Kafka,
  ) {
    this.kafkaCheck = kafkaHealthCheck(kafka);
  }

  report(): Promise<HealthReport> {
    return checkHealth({
      database: async () => {
        await this.dataSource.query('SELECT 1');
      },
      kafka: this.kafkaCheck.check,
    });
  }

  async onApplicationShutdown() {
    await this.kafkaCheck.close();
  }
}
