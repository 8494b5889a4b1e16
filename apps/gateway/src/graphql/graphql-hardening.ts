import type { MercuriusDriverConfig } from '@nestjs/mercurius';
import type { Logger } from '@passerelle/logger';
import { createErrorFormatter } from './error-formatter';
import { GRAPHQL_LIMITS, gatewayValidationRules } from './validation-rules';

/**
 * The GraphQL endpoint's protections, spread into GraphQLModule.forRoot in app.module.ts:
 * - depth limit (mercurius `queryDepth`), cost and alias limits (validation rules) → QUERY_TOO_COMPLEX;
 * - one operation per document, no batched queries, POST only;
 * - introspection only when NODE_ENV=development; no "did you mean" suggestions;
 * - a token limit for the parser and a body limit for the route (a full submission of
 *   10,000 records is about 3.5 MB of JSON);
 * - one error formatter that never quotes input values nor shows a stack (error-formatter.ts).
 */
export const GRAPHQL_BODY_LIMIT = 6 * 1024 * 1024;

export function graphqlHardening(nodeEnv: string, logger: Logger): Partial<MercuriusDriverConfig> {
  const development = nodeEnv === 'development';
  return {
    graphiql: false,
    ide: false,
    allowBatchedQueries: false,
    queryDepth: GRAPHQL_LIMITS.maxDepth,
    validationRules: gatewayValidationRules(development),
    graphql: {
      parseOptions: { maxTokens: GRAPHQL_LIMITS.maxTokens },
      // graphql ≥16.10 option, not yet in mercurius' type
      validateOptions: { hideSuggestions: true } as NonNullable<MercuriusDriverConfig['graphql']>['validateOptions'],
    },
    errorFormatter: createErrorFormatter(logger) as MercuriusDriverConfig['errorFormatter'],
    additionalRouteOptions: {
      bodyLimit: GRAPHQL_BODY_LIMIT,
      // GET would put queries (and any value in them) into URLs and access logs.
      onRequest: (request, reply, done) => {
        if (request.method !== 'POST') {
          void reply
            .code(405)
            .header('allow', 'POST')
            .send({ data: null, errors: [{ message: 'GraphQL is served over POST only', extensions: { code: 'BAD_USER_INPUT' } }] });
          return;
        }
        done();
      },
    },
  };
}
