import type { ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { FastifyRequest } from 'fastify';

/** The Fastify request behind a GraphQL resolver or an HTTP controller call. */
export function requestOf(ctx: ExecutionContext): FastifyRequest | undefined {
  if (ctx.getType<string>() === 'graphql') {
    const gql = GqlExecutionContext.create(ctx).getContext<{ req?: FastifyRequest; reply?: { request?: FastifyRequest } }>();
    return gql?.req ?? gql?.reply?.request;
  }
  if (ctx.getType() === 'http') return ctx.switchToHttp().getRequest<FastifyRequest>();
  return undefined;
}
