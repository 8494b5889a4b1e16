import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { VerifiedCaller } from '../exchange/exchange-context';
import { requestOf } from './request-of';

/**
 * The calling agency as established by its verified request signature
 * ({agency, kid, jti, purpose, exp}). Works in resolvers and controllers.
 */
export const Caller = createParamDecorator((_data: unknown, ctx: ExecutionContext): VerifiedCaller => {
  const caller = requestOf(ctx)?.exchange?.caller;
  // The guard refuses unverified calls first; reaching here without a caller is a wiring bug.
  if (!caller) throw new Error('@Caller() used on a request whose signature was not verified');
  return caller;
});
