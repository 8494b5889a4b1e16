import fs from 'node:fs';
import path from 'node:path';
import { Transport, type GrpcOptions } from '@nestjs/microservices';

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

/** gRPC options for consent-audit, for its server and for its clients alike. */
export function consentAuditGrpcOptions(url: string): GrpcOptions {
  return {
    transport: Transport.GRPC,
    options: {
      url,
      package: CONSENT_AUDIT_PACKAGE,
      protoPath: CONSENT_AUDIT_PROTO,
      loader: { ...protoLoaderOptions, includeDirs: [protoRoot()] },
      maxReceiveMessageLength: 64 * 1024 * 1024,
      maxSendMessageLength: 64 * 1024 * 1024,
    },
  };
}
