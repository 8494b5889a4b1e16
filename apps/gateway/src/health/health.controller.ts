import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DependencyHealthService } from '@passerelle/observability';

@Controller('health')
export class HealthController {
  constructor(private readonly health: DependencyHealthService) {}

  @Get()
  async get(@Res() reply: FastifyReply) {
    const report = await this.health.report();
    return reply.status(report.status === 'up' ? 200 : 503).send(report);
  }
}
