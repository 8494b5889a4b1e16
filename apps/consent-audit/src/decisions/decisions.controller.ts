import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { consentAudit } from '@passerelle/contracts';
import { LOGGER, type Logger } from '@passerelle/logger';
import { rpc } from '../consents/consent-rpc';
import { DecisionsService } from './decisions.service';

/** gRPC passerelle.consentaudit.v1.Decisions. */
@Controller()
export class DecisionsController {
  constructor(
    private readonly decisions: DecisionsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @GrpcMethod('Decisions', 'Decide')
  decide(req: consentAudit.DecideRequest): Promise<consentAudit.DecideResponse> {
    return rpc(this.logger, 'Decide', () => this.decisions.decide(req));
  }
}
