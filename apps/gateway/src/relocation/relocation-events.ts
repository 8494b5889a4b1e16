import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { GatewayKeys } from '@passerelle/crypto';
import { REFERRAL_EVENT_CONTENT_TYPE, RelocationEvent, signReferralEvent } from '@passerelle/messaging';
import { RegistryHolder } from '@passerelle/registry';
import { GATEWAY_KEYS } from '../exchange/tokens';
import { REFERRAL_TOPIC } from './referral-topic';

type Body = Pick<RelocationEvent, 'referral' | 'offer'>;
/** What writes the outbox row: the transaction of the change itself. */
export interface Sql {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/**
 * Writes one relocation event (protobuf RelocationEvent, signed by the gateway) to the outbox
 * in the caller's transaction: the change and its event commit together, and the relay publishes
 * the very bytes that were signed (docs/contract.md, "Relocation events").
 */
@Injectable()
export class RelocationEvents {
  constructor(
    @Inject(GATEWAY_KEYS) private readonly keys: GatewayKeys,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
    @Inject(REFERRAL_TOPIC) private readonly topic: string,
  ) {}

  async write(sql: Sql, key: string, event: string, at: Date, body: Body): Promise<string> {
    const eventId = randomUUID();
    const bytes = RelocationEvent.encode({ eventId, event, at: at.toISOString(), referral: body.referral, offer: body.offer }).finish();
    const signature = await signReferralEvent({ iss: this.registry.current().gatewayId, kid: this.keys.active.kid, key: this.keys.active.privateKey }, eventId, bytes);
    await sql.query(`INSERT INTO referral_outbox (id, topic, message_key, event, payload, signature, content_type) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      eventId, this.topic, key, event, Buffer.from(bytes).toString('base64'), signature, REFERRAL_EVENT_CONTENT_TYPE,
    ]);
    return eventId;
  }
}
