import { Args, Context, Float, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { FastifyRequest } from 'fastify';
import { Caller, Requires } from '../auth';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { ConsentsService } from './consents.service';
import { Consent, DisclosurePage, RecordConsentInput } from './dto/consent-types';

const CONSENT_MANAGEMENT = { role: ['PROVIDER', 'CONSUMER'], purposes: ['CONSENT_MANAGEMENT'] } as const;

/** Thin: decorators, then one call into ConsentsService. */
@Resolver(() => Consent)
export class ConsentsResolver {
  constructor(private readonly service: ConsentsService) {}

  @Mutation(() => Consent, { description: 'Records a consent the calling agency collected, as a collector the registry declares for this purpose and recipient (never to itself; after a revocation only the same collector, with new evidence). FORBIDDEN or CONFLICT with extensions.reason otherwise. The answer carries its signed receipt.' })
  @Requires({ role: [...CONSENT_MANAGEMENT.role], purposes: [...CONSENT_MANAGEMENT.purposes] })
  recordConsent(
    @Args('input', { type: () => RecordConsentInput }) input: RecordConsentInput,
    @Caller() caller: VerifiedCaller,
    @Context('req') req: FastifyRequest,
  ): Promise<Consent> {
    return this.service.record(req, caller, input);
  }

  @Mutation(() => Consent, { description: 'Revokes a consent (only the collecting agency may); effective for the very next request. Revoking twice changes nothing.' })
  @Requires({ role: [...CONSENT_MANAGEMENT.role], purposes: [...CONSENT_MANAGEMENT.purposes] })
  revokeConsent(@Args('consentId', { type: () => String }) consentId: string, @Caller() caller: VerifiedCaller, @Context('req') req: FastifyRequest): Promise<Consent> {
    return this.service.revoke(req, caller, consentId);
  }

  @Query(() => [Consent], { description: "A claimant's consents that the caller collected or receives, by the caller's own pseudonym." })
  @Requires({ role: [...CONSENT_MANAGEMENT.role], purposes: [...CONSENT_MANAGEMENT.purposes] })
  consents(@Args('pseudonym', { type: () => String }) pseudonym: string, @Caller() caller: VerifiedCaller, @Context('req') req: FastifyRequest): Promise<Consent[]> {
    return this.service.list(req, caller, pseudonym);
  }

  @Query(() => DisclosurePage, { description: 'Which agency received which fields about a claimant, when and why; only for an agency the registry declares a consent collector, for a consent it collected from them (FORBIDDEN, reason not_a_collector_of_claimant, otherwise).' })
  @Requires({ role: [...CONSENT_MANAGEMENT.role], purposes: [...CONSENT_MANAGEMENT.purposes] })
  disclosures(
    @Args('pseudonym', { type: () => String }) pseudonym: string,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('before', { type: () => Float, nullable: true }) before: number | null,
    @Caller() caller: VerifiedCaller,
    @Context('req') req: FastifyRequest,
  ): Promise<DisclosurePage> {
    return this.service.disclosures(req, caller, pseudonym, first, before);
  }
}
