import { Inject, Injectable } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { OutboxRelayProvider, type OutboxDeclaration } from '@passerelle/messaging';
import { DataSource } from 'typeorm';
import { LOGGER, type Logger } from '@passerelle/logger';
import { ADVISORY_LOCKS } from '@passerelle/persistence';
import { KAFKA } from '../kafka.token';

interface ProgramOutboxRow {
  id: string;
  topic: string;
  message_key: string;
  payload: string;
}

export const PROGRAM_OUTBOX: OutboxDeclaration<ProgramOutboxRow> = {
  logName: 'program outbox',
  table: 'program_outbox',
  publishedColumn: 'sent_at',
  idType: 'bigint',
  columns: ['id', 'topic', 'message_key', 'payload'],
  orderBy: 'id',
  lockKey: ADVISORY_LOCKS.programOutboxRelay,
  tracksAttempts: true,
  toMessage: (r) => ({ key: r.message_key, value: r.payload, headers: { 'content-type': 'application/json' } }),
};

/**
 * Publishes program events (passerelle.programs.v1) from the outbox written in the same
 * transaction as the application's change: admitted, waitlisted, admitted from the waitlist,
 * withdrawn. At least once, in commit order; consumers key on the payload's seq.
 */
@Injectable()
export class ProgramsOutboxRelay extends OutboxRelayProvider<ProgramOutboxRow> {
  constructor(dataSource: DataSource, @Inject(KAFKA) kafka: Kafka, @Inject(LOGGER) logger: Logger) {
    super(PROGRAM_OUTBOX, dataSource, kafka, logger);
  }
}
