import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DependencyHealthService, publicHealth } from '@passerelle/observability';

/**
 * The public health check: up (200) or down (503) and nothing more, since anyone may call it.
 * Which dependency failed and why is on the probe port (GATEWAY_PROBE_PORT).
 */
@Controller('health')
export class HealthController {
  constructor(private readonly health: DependencyHealthService) {}

  @Get()
  async get(@Res() reply: FastifyReply) {
    const report = await this.health.report();
    return reply.status(report.status === 'up' ? 200 : 503).send(publicHealth(report));
  }
}
