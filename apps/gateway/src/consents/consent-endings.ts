import { Injectable } from '@nestjs/common';

/** A consent that has just ended (revoked through this gateway): internal id, never logged. */
export interface EndedConsent {
  subject: string;
  purpose: string;
  recipient: string;
}

type Listener = (ended: EndedConsent) => Promise<void>;

/**
 * Who must act the moment a consent ends, told in the request that ends it (relocation withdraws
 * the claimant's open referrals). A hub rather than a direct call: the features that listen
 * depend on consents, not the other way round. A listener's failure is its own to log; it never
 * undoes the revocation.
 */
@Injectable()
export class ConsentEndings {
  private readonly listeners: Listener[] = [];

  on(listener: Listener): void {
    this.listeners.push(listener);
  }

  async ended(consent: EndedConsent): Promise<void> {
    for (const listener of this.listeners) await listener(consent);
  }
}
