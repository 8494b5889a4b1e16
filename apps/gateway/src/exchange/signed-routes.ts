import type { FastifyRequest } from 'fastify';
import { fitLabel } from '../graphql/operation-label';

/** Requests that must be signed: POST /graphql (any method on it, in fact) and everything under /audit. */
export function isSignedRoute(request: FastifyRequest): boolean {
  const path = pathOf(request);
  const route = request.routeOptions?.url ?? '';
  return path === '/graphql' || route === '/graphql' || path === '/audit' || path.startsWith('/audit/') || route.startsWith('/audit');
}

export function pathOf(request: FastifyRequest): string {
  return request.url.split('?', 1)[0];
}

/** "rest:<METHOD> <path>", fitted to the ledger (a path of any length or bytes is shortened, never refused). */
export function restOperation(request: FastifyRequest): string {
  return fitLabel(`rest:${request.method} ${pathOf(request)}`);
}
