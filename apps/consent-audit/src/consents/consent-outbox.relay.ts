import { Inject, Injectable } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { OutboxRelayProvider, type OutboxDeclaration } from '@passerelle/messaging';
import { DataSource } from 'typeorm';
import { LOGGER, type Logger } from '@passerelle/logger';
import { ADVISORY_LOCKS } from '@passerelle/persistence';
import { KAFKA } from '../kafka.token';

interface ConsentOutboxRow {
  id: string;
  topic: string;
  message_key: string;
  payload: string;
}

export const CONSENT_OUTBOX: OutboxDeclaration<ConsentOutboxRow> = {
  logName: 'consent outbox',
  table: 'consent_outbox',
  publishedColumn: 'sent_at',
  idType: 'bigint',
  columns: ['id', 'topic', 'message_key', 'payload'],
  orderBy: 'id',
  lockKey: ADVISORY_LOCKS.consentOutboxRelay,
  tracksAttempts: true,
  toMessage: (r) => ({ key: r.message_key, value: r.payload, headers: { 'content-type': 'application/json' } }),
};

/**
 * Publishes the consent outbox to Kafka: rows were written in the same transaction as the
 * consent change, so an event is never lost. Delivery is at least once: consumers key on
 * (consent_id, event).
 */
@Injectable()
export class ConsentOutboxRelay extends OutboxRelayProvider<ConsentOutboxRow> {
  constructor(dataSource: DataSource, @Inject(KAFKA) kafka: Kafka, @Inject(LOGGER) logger: Logger) {
    super(CONSENT_OUTBOX, dataSource, kafka, logger);
  }
}
