import type { DynamicModule } from '@nestjs/common';
import { ClientsModule } from '@nestjs/microservices';
import { consentAuditGrpcOptions } from '@passerelle/contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from './gateway.config';

/**
 * Every gRPC channel of the gateway to consent-audit is made here: one address, one TLS identity
 * (the gateway's certificate, loaded once at start). grpc-js shares the connection between them.
 */
export function consentAuditChannel(name: symbol): DynamicModule {
  return ClientsModule.registerAsync([
    { name, inject: [GATEWAY_CONFIG], useFactory: (config: GatewayConfig) => consentAuditGrpcOptions(config.CONSENT_AUDIT_URL, config.grpcTls) },
  ]);
}
