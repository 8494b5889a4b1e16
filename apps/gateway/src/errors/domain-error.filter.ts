import { Catch, type ArgumentsHost } from '@nestjs/common';
import type { GqlExceptionFilter } from '@nestjs/graphql';
import { GqlArgumentsHost } from '@nestjs/graphql';
import mercurius from 'mercurius';
import { DomainError } from './domain-errors';
import { noteDenial } from '../exchange/exchange-context';

/** The one place domain errors become GraphQL errors with the contract's codes (and DENY in the ledger). */
@Catch(DomainError)
export class DomainErrorFilter implements GqlExceptionFilter {
  catch(error: DomainError, host: ArgumentsHost) {
    const ctx = GqlArgumentsHost.create(host).getContext<{ reply?: { request?: import('fastify').FastifyRequest } }>();
    const request = ctx?.reply?.request;
    if (request?.exchange) noteDenial(request, error.code);
    return new mercurius.ErrorWithProps(error.message, { code: error.code, ...error.details });
  }
}
