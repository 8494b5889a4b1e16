import { agreementInForce, type Agreement } from '@passerelle/registry';
import type { BasisVerdict } from '../exchange/exchange-context';

/**
 * Pure: the legal basis of a provision (docs/contract.md §5.2). A provider supplies fields to the
 * gateway so that they can be shared under its agreements: the basis is every agreement in force
 * from this provider naming at least one of the fields supplied, with its legal basis. No consent
 * is relied on (the provider holds the claimant's file under its own mandate).
 */
export function provisionBasis(agreements: readonly Agreement[], provider: string, fields: Iterable<string>, at: Date, registryVersion: string): BasisVerdict[] {
  const supplied = new Set(fields);
  return agreements
    .filter((a) => a.provider === provider && agreementInForce(a, at) && a.fields.some((f) => supplied.has(f)))
    .map((a) => ({ permit: true, agreementId: a.id, legalBasis: a.legalBasis, registryVersion }));
}
