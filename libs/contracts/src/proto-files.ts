import fs from 'node:fs';
import path from 'node:path';
import { credentials, ServerCredentials } from '@grpc/grpc-js';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import type { GrpcTls } from '@passerelle/config';

/** The repository's proto/ folder, found from the source tree or from a built dist/apps/<app>. */
export function protoRoot(): string {
  const fromEnv = process.env.PASSERELLE_PROTO_DIR;
  if (fromEnv) return fromEnv;
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    const candidate = path.join(dir, 'proto');
    if (fs.existsSync(path.join(candidate, 'passerelle'))) return candidate;
    dir = path.dirname(dir);
  }
  const cwd = path.join(process.cwd(), 'proto');
  if (fs.existsSync(cwd)) return cwd;
  throw new Error('cannot find the proto/ folder; set PASSERELLE_PROTO_DIR');
}

export const CONSENT_AUDIT_PROTO = 'passerelle/consentaudit/v1/consent_audit.proto';
export const CONSENT_AUDIT_PACKAGE = 'passerelle.consentaudit.v1';

/** The same loader options on both sides of every gRPC channel. */
export const protoLoaderOptions = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/**
 * The name consent-audit's certificate carries (its CN and DNS SAN). Clients check the server under
 * this name whatever address they dial, so the check follows the identity, not the network.
 */
export const CONSENT_AUDIT_TLS_NAME = 'consent-audit';

function baseOptions(url: string): GrpcOptions['options'] {
  return {
    url,
    package: CONSENT_AUDIT_PACKAGE,
    protoPath: CONSENT_AUDIT_PROTO,
    loader: { ...protoLoaderOptions, includeDirs: [protoRoot()] },
    maxReceiveMessageLength: 64 * 1024 * 1024,
    maxSendMessageLength: 64 * 1024 * 1024,
  };
}

/**
 * gRPC options of a client of consent-audit (the gateway, the consumer): under mutual TLS it
 * presents its own certificate and accepts only a server certificate of the apps' CA named
 * consent-audit.
 */
export function consentAuditGrpcOptions(url: string, tls: GrpcTls): GrpcOptions {
  if (tls.mode === 'plaintext') return { transport: Transport.GRPC, options: { ...baseOptions(url), credentials: credentials.createInsecure() } };
  const { ca, key, cert } = tls.material;
  return {
    transport: Transport.GRPC,
    options: {
      ...baseOptions(url),
      credentials: credentials.createSsl(ca, key, cert),
      channelOptions: { 'grpc.ssl_target_name_override': CONSENT_AUDIT_TLS_NAME, 'grpc.default_authority': CONSENT_AUDIT_TLS_NAME },
    },
  };
}

/**
 * gRPC options of consent-audit's server: under mutual TLS the handshake itself refuses a client
 * without a certificate of the apps' CA; which RPCs each identity may call is decided after it
 * (apps/consent-audit/src/grpc-auth).
 */
export function consentAuditServerOptions(url: string, tls: GrpcTls): GrpcOptions {
  const serverCredentials =
    tls.mode === 'plaintext'
      ? ServerCredentials.createInsecure()
      : ServerCredentials.createSsl(tls.material.ca, [{ private_key: tls.material.key, cert_chain: tls.material.cert }], true);
  return { transport: Transport.GRPC, options: { ...baseOptions(url), credentials: serverCredentials } };
}
