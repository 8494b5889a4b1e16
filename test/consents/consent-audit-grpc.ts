// Types only: @passerelle/contracts pulls in @nestjs/microservices (ESM), which jest cannot load.
import type { consentAudit } from '@passerelle/contracts';
import { consentAuditClient, unary, type Unary } from '@passerelle/testing';

export { failureOf, type GrpcFailure } from '@passerelle/testing';

export interface ConsentAuditConnection {
  record: Unary<Partial<consentAudit.RecordConsentRequest>, consentAudit.ConsentRecord>;
  revoke: Unary<Partial<consentAudit.RevokeConsentRequest>, consentAudit.ConsentRecord>;
  list: Unary<Partial<consentAudit.ListConsentsRequest>, consentAudit.ListConsentsResponse>;
  decide: Unary<Partial<consentAudit.DecideRequest>, consentAudit.DecideResponse>;
  inForce: Unary<Partial<consentAudit.InForceRequest>, consentAudit.InForceResponse>;
  close(): void;
}

/** A plain grpc-js connection to consent-audit (its own channel: a second one is a second "gateway instance"). */
export function connectConsentAudit(url: string): ConsentAuditConnection {
  // A channel option that differs per connection keeps grpc-js from sharing one subchannel.
  const options = { 'grpc.primary_user_agent': `consents-e2e-${Math.random().toString(36).slice(2)}` };
  const consents = consentAuditClient('Consents', url, options);
  const decisions = consentAuditClient('Decisions', url, options);
  // InForce is the consumer's RPC (grpc-permissions.ts): asked with its certificate
  const consumerConsents = consentAuditClient('Consents', url, options, 'job-match-consumer');
  return {
    record: unary(consents, 'Record'),
    revoke: unary(consents, 'Revoke'),
    list: unary(consents, 'List'),
    decide: unary(decisions, 'Decide'),
    inForce: unary(consumerConsents, 'InForce'),
    close: () => {
      consents.close();
      decisions.close();
      consumerConsents.close();
    },
  };
}
