import { parseGrpcTls } from './grpc-tls';

describe('gRPC TLS configuration', () => {
  it('is mutual TLS or nothing: a missing file variable is named, with the way out', async () => {
    await expect(parseGrpcTls('gateway', {})).rejects.toThrow(/^PASSERELLE_TLS_CA is missing: gRPC between the apps requires mutual TLS; issue certificates with `passerelle certs issue/);
    await expect(parseGrpcTls('gateway', { PASSERELLE_TLS_CA: '/x/ca.crt' })).rejects.toThrow(/^PASSERELLE_TLS_CERT is missing/);
    await expect(parseGrpcTls('gateway', { PASSERELLE_TLS_CA: '/x/ca.crt', PASSERELLE_TLS_CERT: '/x/gateway.crt' })).rejects.toThrow(/^PASSERELLE_TLS_KEY is missing/);
  });

  it('names an unreadable file', async () => {
    await expect(parseGrpcTls('gateway', { PASSERELLE_TLS_CA: '/nonexistent/ca.crt', PASSERELLE_TLS_CERT: '/nonexistent/g.crt', PASSERELLE_TLS_KEY: '/nonexistent/g.key' })).rejects.toThrow(
      'gRPC TLS: cannot read the CA certificate /nonexistent/ca.crt: ENOENT',
    );
  });

  it('allows plaintext only when PASSERELLE_DEV_PLAINTEXT_GRPC=1, and never beside TLS files', async () => {
    await expect(parseGrpcTls('gateway', { PASSERELLE_DEV_PLAINTEXT_GRPC: '1' })).resolves.toEqual({ mode: 'plaintext' });
    await expect(parseGrpcTls('gateway', { PASSERELLE_DEV_PLAINTEXT_GRPC: 'yes' })).rejects.toThrow('PASSERELLE_DEV_PLAINTEXT_GRPC is malformed: must be 0 or 1');
    await expect(parseGrpcTls('gateway', { PASSERELLE_DEV_PLAINTEXT_GRPC: '1', PASSERELLE_TLS_KEY: '/x/k' })).rejects.toThrow(
      'PASSERELLE_DEV_PLAINTEXT_GRPC is 1 but PASSERELLE_TLS_KEY is set too; choose mutual TLS or plaintext',
    );
  });
});
