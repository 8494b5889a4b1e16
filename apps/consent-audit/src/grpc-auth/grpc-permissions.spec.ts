import fs from 'node:fs';
import path from 'node:path';
import { decideGrpcCall, GRPC_PERMISSIONS, rpcOfPath } from './grpc-permissions';

/** Every `Service/Method` the committed proto declares. */
function protoRpcs(): string[] {
  const text = fs.readFileSync(path.join(__dirname, '../../../../proto/passerelle/consentaudit/v1/consent_audit.proto'), 'utf8');
  const out: string[] = [];
  for (const block of text.matchAll(/service\s+(\w+)\s*\{([\s\S]*?)\n\}/g)) {
    for (const rpc of block[2].matchAll(/rpc\s+(\w+)\s*\(/g)) out.push(`${block[1]}/${rpc[1]}`);
  }
  return out;
}

describe('consent-audit gRPC permissions', () => {
  it('names only RPCs the proto declares', () => {
    const rpcs = protoRpcs();
    expect(rpcs).toContain('Consents/Record');
    for (const [identity, allowed] of Object.entries(GRPC_PERMISSIONS)) {
      for (const rpc of allowed) expect([identity, rpcs.includes(rpc)]).toEqual([identity, true]);
    }
  });

  it.each([
    ['job-match-consumer', 'Consents/Record'],
    ['job-match-consumer', 'Consents/Revoke'],
    ['job-match-consumer', 'Decisions/Decide'],
    ['job-match-consumer', 'Ledger/GetEntries'],
    ['job-match-consumer', 'Ledger/Disclosures'],
    ['job-match-consumer', 'Ledger/Aggregates'],
    // its events' entries are sequenced in its own store transaction: no batch appends over gRPC
    ['job-match-consumer', 'Ledger/AppendBatch'],
    ['gateway', 'Consents/InForce'],
    ['consent-audit', 'Ledger/Append'],
    ['stranger', 'Ledger/GetSignedTreeHead'],
    ['constructor', 'Ledger/Append'],
    ['gateway', null],
  ])('refuses %s calling %s', (identity, rpc) => {
    expect(decideGrpcCall(identity, rpc)).toMatchObject({ ok: false, status: 'permission_denied' });
  });

  it.each([
    ['gateway', 'Consents/Record'],
    ['gateway', 'Ledger/AppendBatch'],
    ['gateway', 'Decisions/Decide'],
    ['gateway', 'Ledger/Aggregates'],
    ['job-match-consumer', 'Ledger/Append'],
    ['job-match-consumer', 'Consents/InForce'],
  ])('lets %s call %s', (identity, rpc) => {
    expect(decideGrpcCall(identity, rpc)).toEqual({ ok: true });
  });

  it('refuses a caller without a certificate as unauthenticated', () => {
    expect(decideGrpcCall(undefined, 'Ledger/Append')).toMatchObject({ ok: false, status: 'unauthenticated' });
  });

  it('reads the RPC from the call path, refusing paths outside the package', () => {
    expect(rpcOfPath('/passerelle.consentaudit.v1.Ledger/Append')).toBe('Ledger/Append');
    expect(rpcOfPath('/grpc.health.v1.Health/Check')).toBeNull();
  });
});
