import { Controller, Get, Inject, Optional, Req, Res } from '@nestjs/common';
import { RegistryHolder } from '@passerelle/registry';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CONSOLE_CSP, ConsoleFiles, type ConsoleFile } from './console-files';

export const CONSOLE_FILES = Symbol('CONSOLE_FILES');

/** What the sign-in page may know before any signature: the audience to sign for, and who may sign in. */
export interface ConsoleSettings {
  gatewayId: string;
  operators: string[];
  /** the registry's witnesses and their cosigner keys (public), for the witness status */
  witnesses: Array<{ name: string; vkey: string }>;
}

/**
 * The operator console (issue 11): static files of the Vite build at /console, unsigned (the
 * page holds no data; every call it makes is signed in the browser), with a strict CSP.
 */
@Controller('console')
export class ConsoleController {
  constructor(
    @Inject(CONSOLE_FILES) private readonly files: ConsoleFiles,
    @Optional() @Inject(RegistryHolder) private readonly registry?: RegistryHolder,
  ) {}

  @Get()
  index(@Res() reply: FastifyReply) {
    return this.serve(reply, this.files.lookup(''));
  }

  @Get('settings.json')
  settings(@Res() reply: FastifyReply) {
    const current = this.registry?.current();
    const body: ConsoleSettings = {
      gatewayId: current?.gatewayId ?? 'passerelle',
      operators: (current?.document.agencies ?? []).filter((a) => a.roles.includes('OPERATOR')).map((a) => a.id),
      witnesses: (current?.document.witnesses ?? []).map((w) => ({ name: w.name, vkey: w.vkey })),
    };
    return secure(reply).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(JSON.stringify(body));
  }

  /** Fastify's wildcard: the rest of the path is params['*']. */
  @Get('*')
  file(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const rest = (request.params as Record<string, string | undefined>)['*'] ?? '';
    return this.serve(reply, this.files.lookup(rest));
  }

  private serve(reply: FastifyReply, file: ConsoleFile | undefined) {
    secure(reply);
    if (!this.files.built) {
      return reply.code(503).type('text/plain; charset=utf-8').send('The operator console is not built: run `npm run console:build`.\n');
    }
    if (!file) return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
    return reply
      .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .type(file.contentType)
      .send(file.body);
  }
}

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cross-origin-resource-policy', 'same-origin')
    .header('permissions-policy', 'camera=(), microphone=(), geolocation=()');
}
