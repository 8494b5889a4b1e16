import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import type { consentAudit } from '@passerelle/contracts';
import { LOGGER, type Logger } from '@passerelle/logger';
import { ConsentError } from '../consents/consent-errors';
import { toRpcException } from '../consents/consent-rpc';
import { DisclosuresAccess } from '../consents/disclosures-access';
import { LedgerAggregates } from './ledger-aggregates';
import { LedgerError } from './ledger-errors';
import { LedgerService } from './ledger.service';

/** gRPC passerelle.consentaudit.v1.Ledger. */
@Controller()
export class LedgerController {
  constructor(
    private readonly ledger: LedgerService,
    private readonly disclosuresAccess: DisclosuresAccess,
    private readonly aggregatesOf: LedgerAggregates,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @GrpcMethod('Ledger', 'Append')
  append(req: consentAudit.AppendRequest): Promise<consentAudit.AppendResponse> {
    return this.rpc('Append', () => this.ledger.append(req));
  }

  @GrpcMethod('Ledger', 'AppendBatch')
  appendBatch(req: consentAudit.AppendBatchRequest): Promise<consentAudit.AppendBatchResponse> {
    return this.rpc('AppendBatch', () => this.ledger.appendBatch(req));
  }

  @GrpcMethod('Ledger', 'GetSignedTreeHead')
  getSignedTreeHead(req: consentAudit.GetSignedTreeHeadRequest): Promise<consentAudit.SignedTreeHead> {
    return this.rpc('GetSignedTreeHead', () => this.ledger.signedTreeHead(req));
  }

  @GrpcMethod('Ledger', 'GetEntries')
  getEntries(req: consentAudit.GetEntriesRequest): Promise<consentAudit.GetEntriesResponse> {
    return this.rpc('GetEntries', () => this.ledger.entries(req));
  }

  @GrpcMethod('Ledger', 'GetInclusionProof')
  getInclusionProof(req: consentAudit.InclusionProofRequest): Promise<consentAudit.InclusionProofResponse> {
    return this.rpc('GetInclusionProof', () => this.ledger.inclusionProof(req));
  }

  @GrpcMethod('Ledger', 'GetConsistencyProof')
  getConsistencyProof(req: consentAudit.ConsistencyProofRequest): Promise<consentAudit.ConsistencyProofResponse> {
    return this.rpc('GetConsistencyProof', () => this.ledger.consistencyProof(req));
  }

  @GrpcMethod('Ledger', 'SearchEntries')
  searchEntries(req: consentAudit.SearchEntriesRequest): Promise<consentAudit.SearchEntriesResponse> {
    return this.rpc('SearchEntries', () => this.ledger.search(req));
  }

  @GrpcMethod('Ledger', 'GetCheckpoint')
  getCheckpoint(req: consentAudit.GetCheckpointRequest): Promise<consentAudit.Checkpoint> {
    return this.rpc('GetCheckpoint', () => this.ledger.checkpoint(req));
  }

  @GrpcMethod('Ledger', 'Disclosures')
  disclosures(req: consentAudit.DisclosuresRequest): Promise<consentAudit.DisclosuresResponse> {
    return this.rpc('Disclosures', async () => {
      // Open only to a declared consent collector of this claimant (the acting agency as the gateway verified it).
      await this.disclosuresAccess.check(req.agency ?? '', req.subject ?? '');
      return this.ledger.disclosures(req);
    });
  }

  @GrpcMethod('Ledger', 'Aggregates')
  aggregates(req: consentAudit.AggregatesRequest): Promise<consentAudit.AggregatesResponse> {
    return this.rpc('Aggregates', () => this.aggregatesOf.aggregates(req));
  }

  /** Typed refusals keep their status and message; anything else is INTERNAL, logged, never a stack trace. */
  private async rpc<T>(method: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (e) {
      if (e instanceof LedgerError) throw new RpcException({ code: e.grpcCode, message: e.message });
      if (e instanceof ConsentError) throw toRpcException(e);
      this.logger.error({ err: e, method }, 'ledger request failed');
      throw new RpcException({ code: status.INTERNAL, message: `Ledger.${method} failed; see the consent-audit log` });
    }
  }
}
