import { Controller, Get, HttpException, HttpStatus, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Requires } from '../auth';
import { noteDenial } from '../exchange/exchange-context';
import { AuditBadRequest, checkpointParams, consistencyParams, entriesRange, inclusionParams } from './audit-params';
import { aggregateRange } from './aggregate-params';
import { AuditService } from './audit.service';
import { LedgerCallError } from './ledger.client';
import { PipelineMetricsClient, PipelineMetricsUnavailable } from './pipeline-metrics';

type QueryParams = Record<string, unknown>;

/**
 * The verifier's REST view of the ledger (docs/contract.md §5): signed requests, purpose
 * AUDIT_REVIEW, OPERATOR agencies only. Thin: parameters checked, then one service call.
 */
@Controller('audit')
@Requires({ role: 'OPERATOR', purposes: ['AUDIT_REVIEW'] })
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly pipeline: PipelineMetricsClient,
  ) {}

  @Get('sth')
  sth(@Req() req: FastifyRequest) {
    return rest(req, () => this.audit.sth());
  }

  /**
   * The ledger as a C2SP tlog-checkpoint with its witnesses' cosignatures. Signed like every
   * /audit route although a checkpoint is public by design: witnesses are sent checkpoints (they
   * never pull them), so no reader needs an unsigned route, and every read stays attributable.
   */
  @Get('checkpoint')
  checkpoint(@Query() query: QueryParams, @Req() req: FastifyRequest) {
    return rest(req, () => this.audit.checkpoint(checkpointParams(query).treeSize));
  }

  @Get('entries')
  entries(@Query() query: QueryParams, @Req() req: FastifyRequest) {
    return rest(req, () => {
      const { start, end } = entriesRange(query);
      return this.audit.entries(start, end);
    });
  }

  @Get('proof/inclusion')
  inclusion(@Query() query: QueryParams, @Req() req: FastifyRequest) {
    return rest(req, () => {
      const { seq, treeSize } = inclusionParams(query);
      return this.audit.inclusionProof(seq, treeSize);
    });
  }

  @Get('proof/consistency')
  consistency(@Query() query: QueryParams, @Req() req: FastifyRequest) {
    return rest(req, () => {
      const { first, second } = consistencyParams(query);
      return this.audit.consistencyProof(first, second);
    });
  }

  /** Counts over a window (1h, 1d, 30d) by agency, purpose, decision or reason; never subjects. */
  @Get('aggregates')
  aggregates(@Query() query: QueryParams, @Req() req: FastifyRequest) {
    return rest(req, () => this.audit.aggregates(aggregateRange(query, new Date())));
  }

  /** The job-match pipeline's figures, from the consumer's metrics (read on the internal network). */
  @Get('pipeline')
  pipelineFigures(@Req() req: FastifyRequest) {
    return rest(req, () => this.pipeline.summary());
  }
}

/** A refusal as HTTP status and contract error code, or undefined for an unexpected error. */
function httpRefusal(e: unknown): { status: HttpStatus; code: string } | undefined {
  if (e instanceof AuditBadRequest) return { status: HttpStatus.BAD_REQUEST, code: e.code };
  if (e instanceof PipelineMetricsUnavailable) return { status: HttpStatus.SERVICE_UNAVAILABLE, code: 'consumer_metrics_unavailable' };
  if (!(e instanceof LedgerCallError)) return undefined;
  switch (e.kind) {
    case 'bad_request':
    case 'out_of_range':
      return { status: HttpStatus.BAD_REQUEST, code: 'bad_request' };
    case 'not_found':
      return { status: HttpStatus.NOT_FOUND, code: 'not_found' };
    case 'not_integrated':
      return { status: HttpStatus.SERVICE_UNAVAILABLE, code: 'not_integrated' };
    case 'unavailable':
      return { status: HttpStatus.SERVICE_UNAVAILABLE, code: 'ledger_unavailable' };
    default:
      return { status: HttpStatus.BAD_GATEWAY, code: 'ledger_error' };
  }
}

/** Refusals as {"error":{code, message}} with their HTTP status; they are recorded as DENY. */
async function rest<T>(req: FastifyRequest, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    const refusal = httpRefusal(e);
    if (!refusal) throw e;
    if (req.exchange) noteDenial(req, refusal.code);
    throw new HttpException({ error: { code: refusal.code, message: (e as Error).message } }, refusal.status);
  }
}
