import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { KAFKA, kafkaHealthCheck } from '@passerelle/messaging';
import { checkHealth, type HealthCheck, type HealthReport } from './health';

/** Health of what every app depends on: its database and the Kafka cluster. */
@Injectable()
export class DependencyHealthService implements OnApplicationShutdown {
  private readonly kafkaCheck: ReturnType<typeof kafkaHealthCheck>;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(KAFKA) kafka: Kafka,
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

  report(): Promise<HealthReport> {
    return checkHealth(this.checks());
  }

  async onApplicationShutdown() {
    await this.kafkaCheck.close();
  }
}
