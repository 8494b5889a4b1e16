import { RpcException } from '@nestjs/microservices';
import type { Logger } from '@passerelle/logger';
import { ConsentError } from './consent-errors';

/** The one mapping to gRPC statuses, used by the thin controllers. */
export function toRpcException(e: unknown): unknown {
  if (e instanceof ConsentError) return new RpcException({ code: e.grpcCode, message: e.message });
  return e;
}

/** Runs a controller body, turning typed refusals into RpcExceptions with the right status. */
export async function rpc<T>(logger: Logger, method: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    // Unexpected failures answer UNKNOWN without details; the log says what happened (no raw identifiers exist here).
    if (!(e instanceof ConsentError)) logger.error({ err: e, method }, 'consent-audit call failed');
    throw toRpcException(e);
  }
}
