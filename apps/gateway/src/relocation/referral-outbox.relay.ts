import { Inject, Injectable } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { OutboxRelayProvider, REFERRAL_EVENT_SIGNATURE_HEADER, type OutboxDeclaration } from '@passerelle/messaging';
import { DataSource } from 'typeorm';
import { LOGGER, type Logger } from '@passerelle/logger';
import { ADVISORY_LOCKS } from '@passerelle/persistence';
import { KAFKA } from '../kafka.token';

interface ReferralOutboxRow {
  id: string;
  topic: string;
  message_key: string;
  event: string;
  payload: string;
  signature: string | null;
  content_type: string;
}

export const REFERRAL_OUTBOX: OutboxDeclaration<ReferralOutboxRow> = {
  logName: 'referral outbox',
  table: 'referral_outbox',
  publishedColumn: 'published_at',
  idType: 'uuid',
  columns: ['id', 'topic', 'message_key', 'event', 'payload', 'signature', 'content_type'],
  orderBy: 'created_at, id',
  lockKey: ADVISORY_LOCKS.referralOutboxRelay,
  // No attempts/last_error columns: a failed publish rolls back and is retried.
  tracksAttempts: false,
  // Protobuf rows hold the signed bytes in base64; the signature travels in x-signature.
  toMessage: (r) =>
    r.signature
      ? { key: r.message_key, value: Buffer.from(r.payload, 'base64'), headers: { 'content-type': r.content_type, event: r.event, [REFERRAL_EVENT_SIGNATURE_HEADER]: r.signature } }
      : { key: r.message_key, value: r.payload, headers: { 'content-type': 'application/json', event: r.event } },
};

/**
 * Publishes referral moves and offer changes from `referral_outbox` to Kafka: rows were written
 * with the change, so none is lost. At least once: consumers key on (referral_id, event).
 */
@Injectable()
export class ReferralOutboxRelay extends OutboxRelayProvider<ReferralOutboxRow> {
  constructor(dataSource: DataSource, @Inject(KAFKA) kafka: Kafka, @Inject(LOGGER) logger: Logger) {
    super(REFERRAL_OUTBOX, dataSource, kafka, logger);
  }
}
