import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isSignedRoute } from './signed-routes';

/**
 * The application/json parser of the gateway: keeps the exact body bytes (request.rawBody) for
 * the signature's body digest. On signed routes a body that is not JSON must not short-circuit
 * the signature check and its audit entry: `onBadJson` is told, and the request goes on.
 */
export function installExchangeJsonParser(fastify: FastifyInstance, onBadJson: (request: FastifyRequest) => void): void {
  const defaultParser = fastify.getDefaultJsonParser('error', 'error');
  if (fastify.hasContentTypeParser('application/json')) fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    request.rawBody = raw;
    if (!isSignedRoute(request)) return defaultParser(request, raw.toString('utf8'), done);
    defaultParser(request, raw.toString('utf8'), (err, parsed) => {
      if (err) {
        onBadJson(request);
        return done(null, undefined);
      }
      done(null, parsed);
    });
  });
}

export function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/** The exact bytes of a reply payload, whatever Fastify was handed. */
export async function payloadBytes(payload: unknown): Promise<Buffer> {
  if (payload === null || payload === undefined) return Buffer.alloc(0);
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (Buffer.isBuffer(payload)) return payload;
  if (payload instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of payload) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    return Buffer.concat(chunks);
  }
  return Buffer.from(String(payload), 'utf8');
}
