import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Registry } from 'prom-client';

@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: Registry) {}

  @Get()
  async get(@Res() reply: FastifyReply) {
    return reply.header('content-type', this.registry.contentType).send(await this.registry.metrics());
  }
}
