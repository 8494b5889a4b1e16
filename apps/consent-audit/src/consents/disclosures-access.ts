import { Injectable } from '@nestjs/common';
import { isInternalId } from '@passerelle/crypto';
import { RegistryHolder } from '@passerelle/registry';
import { ConsentRefused, InvalidConsentInput } from './consent-errors';
import { mayReadDisclosures } from './consent-policy';
import { ConsentsRepository } from './consents.repository';

/**
 * Who may read a claimant's disclosures (Ledger.Disclosures): only an agency the registry declares
 * a consent collector, for a consent it collected from this claimant. `agency` is the acting
 * agency as the gateway verified it from the request signature.
 */
@Injectable()
export class DisclosuresAccess {
  constructor(
    private readonly consents: ConsentsRepository,
    private readonly registry: RegistryHolder,
  ) {}

  async check(agency: string, subject: string): Promise<void> {
    const problems: string[] = [];
    if (!agency) problems.push('agency is required (the acting agency, as the gateway verified it)');
    if (!isInternalId(subject)) problems.push('subject must be a gateway-internal id (i_ followed by 22 base64url characters)');
    if (problems.length > 0) throw new InvalidConsentInput(problems);
    if (!mayReadDisclosures(agency, await this.consents.collectedFor(subject), this.registry.current())) {
      throw new ConsentRefused('not_a_collector_of_claimant', "only an agency the registry declares a consent collector, for a consent it collected from this claimant, may see the claimant's disclosures");
    }
  }
}
