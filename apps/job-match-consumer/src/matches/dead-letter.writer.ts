import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { IHeaders, Kafka, Producer } from 'kafkajs';
import { createReliableProducer } from '@passerelle/messaging';
import { KAFKA } from '../kafka.token';
import { DependencyUnavailable } from './dependency';

export interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

/** Writes dead letters with an idempotent producer (acks from all in-sync replicas). */
@Injectable()
export class DeadLetterWriter implements OnModuleInit, OnApplicationShutdown {
  private readonly producer: Producer;

  constructor(@Inject(KAFKA) kafka: Kafka) {
    this.producer = createReliableProducer(kafka);
  }

  async onModuleInit() {
    await this.producer.connect();
  }

  async send(topic: string, letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    try {
      await this.producer.send({ topic, acks: -1, messages: letters });
    } catch (e) {
      throw new DependencyUnavailable('kafka', e);
    }
  }

  async onApplicationShutdown() {
    await this.producer.disconnect().catch(() => undefined);
  }
}
