import { ForbiddenException, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RegistryHolder } from '@passerelle/registry';
import { Forbidden } from '../errors';
import type { RouteErrorCode } from '../errors/error-codes';
import { noteDenial } from '../exchange/exchange-context';
import { PUBLIC_KEY, REQUIRES_KEY, type Requirement } from './requires.decorator';
import { requestOf } from './request-of';
import { decideRequirement } from './requirement';

/**
 * The one authorisation guard (APP_GUARD). Deny by default: an operation must carry
 * @Requires({role, purposes}) or @Public() — on every GraphQL operation and on every signed
 * REST route (/audit/*). Unsigned HTTP routes (health, metrics, JWKS) are outside GraphQL and
 * /audit and carry no agency data; they stay open unless they declare @Requires.
 */
@Injectable()
export class RequiresGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(RegistryHolder) private readonly registry: RegistryHolder,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const targets = [ctx.getHandler(), ctx.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets) === true;
    const requirement = this.reflector.getAllAndOverride<Requirement | undefined>(REQUIRES_KEY, targets);
    const request = requestOf(ctx);
    const exchange = request?.exchange;
    // Requests on signed routes must have verified; public unsigned routes have no exchange.
    if (isPublic && (!exchange || exchange.caller)) return true;
    // Unsigned HTTP routes (health, metrics, JWKS) hold no agency data: open unless they declare @Requires.
    if (!exchange && !requirement && ctx.getType() === 'http') return true;
    const verdict = decideRequirement(this.registry.current(), exchange?.caller, requirement);
    if (verdict.ok) return true;
    if (request?.exchange) noteDenial(request, 'FORBIDDEN');
    if (ctx.getType<string>() === 'graphql') throw new Forbidden(verdict.message);
    throw new ForbiddenException({ error: { code: 'forbidden' satisfies RouteErrorCode, message: verdict.message } });
  }
}
