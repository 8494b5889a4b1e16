import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { consentAudit } from '@passerelle/contracts';
import { LOGGER, type Logger } from '@passerelle/logger';
import { rpc } from './consent-rpc';
import { ConsentsService } from './consents.service';

/** gRPC passerelle.consentaudit.v1.Consents. */
@Controller()
export class ConsentsController {
  constructor(
    private readonly consents: ConsentsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @GrpcMethod('Consents', 'Record')
  record(req: consentAudit.RecordConsentRequest): Promise<consentAudit.ConsentRecord> {
    return rpc(this.logger, 'Record', () => this.consents.record(req));
  }

  @GrpcMethod('Consents', 'Revoke')
  revoke(req: consentAudit.RevokeConsentRequest): Promise<consentAudit.ConsentRecord> {
    return rpc(this.logger, 'Revoke', () => this.consents.revoke(req));
  }

  @GrpcMethod('Consents', 'List')
  list(req: consentAudit.ListConsentsRequest): Promise<consentAudit.ListConsentsResponse> {
    return rpc(this.logger, 'List', () => this.consents.list(req));
  }

  @GrpcMethod('Consents', 'InForce')
  inForce(req: consentAudit.InForceRequest): Promise<consentAudit.InForceResponse> {
    return rpc(this.logger, 'InForce', () => this.consents.inForce(req));
  }
}
