import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { status, type ServerUnaryCall } from '@grpc/grpc-js';
import { LOGGER, type Logger } from '@passerelle/logger';
import { CONSENT_AUDIT_CONFIG, type ConsentAuditConfig } from '../consent-audit.config';
import { decideGrpcCall, rpcOfPath } from './grpc-permissions';

/** The CN of the verified client certificate, or undefined when the caller showed none. */
export function callerIdentity(call: Pick<ServerUnaryCall<unknown, unknown>, 'getAuthContext'>): string | undefined {
  const cn = call.getAuthContext?.()?.sslPeerCertificate?.subject?.CN;
  return typeof cn === 'string' && cn !== '' ? cn : undefined;
}

/**
 * The one authorisation guard of consent-audit's gRPC (APP_GUARD; the twin of the gateway's
 * @Requires guard): every call is checked against GRPC_PERMISSIONS under the identity of its
 * client certificate, which the TLS handshake already verified against the apps' CA. Services
 * hold no caller checks of their own.
 */
@Injectable()
export class GrpcCallerGuard implements CanActivate {
  constructor(
    @Inject(CONSENT_AUDIT_CONFIG) private readonly config: ConsentAuditConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    if (ctx.getType() !== 'rpc') return true;
    // Plaintext has no caller identity to check: allowed only by PASSERELLE_DEV_PLAINTEXT_GRPC=1, announced at start.
    if (this.config.grpcTls.mode === 'plaintext') return true;
    const call = ctx.getArgByIndex<ServerUnaryCall<unknown, unknown>>(2);
    const rpc = rpcOfPath(call.getPath());
    const identity = callerIdentity(call);
    const verdict = decideGrpcCall(identity, rpc);
    if (verdict.ok) return true;
    this.logger.warn({ identity: identity ?? null, rpc }, 'gRPC call refused');
    throw new RpcException({ code: verdict.status === 'unauthenticated' ? status.UNAUTHENTICATED : status.PERMISSION_DENIED, message: verdict.message });
  }
}
