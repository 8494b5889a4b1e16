import type { Registry } from '@passerelle/registry';
import type { VerifiedCaller } from '../exchange/exchange-context';
import type { Requirement } from './requires.decorator';

export type RequirementVerdict = { ok: true } | { ok: false; message: string };

/** Pure: may this verified caller use an operation with this requirement? */
export function decideRequirement(registry: Registry, caller: VerifiedCaller | undefined, requirement: Requirement | undefined): RequirementVerdict {
  if (!caller) return { ok: false, message: 'this operation needs a verified X-Agency-Signature' };
  if (!requirement) return { ok: false, message: 'this operation is not open to agencies (no access rule is declared for it)' };
  const roles = Array.isArray(requirement.role) ? requirement.role : [requirement.role];
  if (!roles.some((r) => registry.hasRole(caller.agency, r))) {
    return { ok: false, message: `agency ${caller.agency} does not hold the ${roles.join(' or ')} role this operation requires` };
  }
  if (!requirement.purposes.includes(caller.purpose)) {
    return { ok: false, message: `purpose ${caller.purpose} is not accepted here; sign the request with one of: ${requirement.purposes.join(', ')}` };
  }
  return { ok: true };
}
