import { z } from 'zod';

/**
 * Every environment variable Passerelle reads, documented once. Each app picks the
 * subset it needs with `loadConfig([...])`; a missing or malformed one stops the
 * process with one line that names it (docs/contract.md §1).
 */
const postgresUrl = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '' && u.pathname.length > 1;
    } catch {
      return false;
    }
  }, 'must be a postgres://user@host:port/database URL');

const hostPort = z.string().regex(/^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$/, 'must be host:port');

const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

export const variables = {
  DATABASE_URL: { schema: postgresUrl, doc: "PostgreSQL URL of the app's OWN login (passerelle_gateway, passerelle_ledger, passerelle_consumer); never the owner's: migrations use MIGRATION_DATABASE_URL (`npm run migration:run`)." },
  MIGRATION_DATABASE_URL: {
    schema: postgresUrl,
    doc: "`npm run migration:run` only: PostgreSQL URL of the OWNER's login, which runs the migrations, owns every table and creates the apps' login roles. Never given to an app.",
  },
  PASSERELLE_ALLOW_OWNER_LOGIN: {
    schema: z.enum(['0', '1']).default('0'),
    doc: 'Development only: 1 lets an app run on a superuser or owner login (it then migrates at start); otherwise such a login stops the app with exit 78.',
  },
  KAFKA_BROKERS: {
    schema: z
      .string()
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
      .pipe(z.array(hostPort).min(1, 'must list at least one host:port')),
    doc: 'Comma-separated Kafka bootstrap brokers, host:port.',
  },
  PASSERELLE_REGISTRY: { schema: z.string().min(1, 'must be a path to the registry JSON file'), doc: 'Path of the registry JSON file.' },
  PASSERELLE_SECRETS_DIR: { schema: z.string().min(1, 'must be a directory path'), doc: 'Directory holding the gateway signing key and pseudonymisation keys (0600 files, created on first start).' },
  PASSERELLE_LOG_KEY_DIR: {
    schema: z.string().min(1, 'must be a directory path').optional(),
    doc: "consent-audit only: directory of the audit log's own tree-head signing key (0600, created on first start); default <PASSERELLE_SECRETS_DIR>/log-signing. Give it a directory no other app can read.",
  },
  GATEWAY_PORT: { schema: port.default(3000), doc: 'Gateway HTTP port.' },
  GATEWAY_HOST: { schema: z.string().min(1).default('127.0.0.1'), doc: 'Gateway bind address.' },
  GATEWAY_UNVERIFIED_PER_MINUTE: {
    schema: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').default(60),
    doc: 'Unverified requests (unsigned, forged, replayed) the gateway answers one by one per source address and minute; beyond it 429, counted in aggregate ledger entries.',
  },
  CONSENT_AUDIT_URL: { schema: hostPort.default('127.0.0.1:50051'), doc: 'consent-audit gRPC address, host:port.' },
  PASSERELLE_TLS_CA: {
    schema: z.string().min(1, 'must be a file path').optional(),
    doc: 'PEM certificate of the private CA of the apps\' gRPC links: the only issuer whose certificates a peer is accepted with (`passerelle certs issue` writes <dir>/ca.crt; npm start uses .secrets/tls/).',
  },
  PASSERELLE_TLS_CERT: {
    schema: z.string().min(1, 'must be a file path').optional(),
    doc: 'PEM certificate this app presents on gRPC (consent-audit as the server, gateway and job-match-consumer as clients); its CN is the identity consent-audit authorises (<dir>/<app>.crt).',
  },
  PASSERELLE_TLS_KEY: {
    schema: z.string().min(1, 'must be a file path').optional(),
    doc: 'PEM private key of PASSERELLE_TLS_CERT; refused unless private to its owner (0600) (<dir>/<app>.key).',
  },
  PASSERELLE_DEV_PLAINTEXT_GRPC: {
    schema: z.enum(['0', '1'], { error: 'must be 0 or 1' }).default('0'),
    doc: 'Local development only: 1 runs gRPC without TLS when no PASSERELLE_TLS_* file is set, and consent-audit then accepts ANY caller for EVERY RPC (logged as an error at every start). Without it an app with no certificate refuses to start.',
  },
  LEDGER_MMD_MS: {
    schema: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(100, 'must be at least 100').max(60_000, 'must be at most 60000').default(1000),
    doc: 'consent-audit only: the ledger\'s maximum merge delay in ms: an entry sequenced (its audit_seq promised) is in a signed tree head within it; proofs for a seq not yet integrated wait up to it.',
  },
  CONSENT_AUDIT_METRICS_PORT: { schema: port.default(9464), doc: 'consent-audit health and Prometheus metrics HTTP port.' },
  GATEWAY_PROBE_PORT: {
    schema: port.optional(),
    doc: 'Gateway probe HTTP port, bound to 127.0.0.1 (or GATEWAY_PROBE_HOST): /health with each dependency\'s error detail, and /metrics. The public /health tells only up or down. Unset: no probe server.',
  },
  GATEWAY_PROBE_HOST: { schema: z.string().min(1).default('127.0.0.1'), doc: 'Gateway probe bind address (keep it off the public network).' },
  CONSUMER_METRICS_PORT: { schema: port.default(9465), doc: 'job-match-consumer health probe and Prometheus metrics HTTP port.' },
  CONSUMER_METRICS_URL: {
    schema: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }).default('http://127.0.0.1:9465'),
    doc: "Gateway only: the job-match-consumer's probe (its CONSUMER_METRICS_PORT), read for the operators' signed GET /audit/pipeline summary. Reached on the internal network only; the probe itself is never exposed publicly.",
  },
  LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    doc: 'pino log level.',
  },
  LOG_FORMAT: {
    schema: z.enum(['json', 'pretty'], { error: 'must be json or pretty' }).optional(),
    doc: 'json (one object a line: files, CI, production) or pretty (one readable coloured line an event, pino-pretty). Unset: pretty when stdout is a terminal, else json. `npm start` always reads the apps as json and shows them pretty in a terminal (LOG_FORMAT=json keeps json there too).',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    schema: z
      .string()
      .refine((v) => {
        try {
          return ['http:', 'https:'].includes(new URL(v).protocol);
        } catch {
          return false;
        }
      }, 'must be an http(s):// URL of an OTLP/HTTP receiver')
      .optional(),
    doc: 'OpenTelemetry traces over OTLP/HTTP (JSON) to <url>/v1/traces, from the HTTP, Fastify (@fastify/otel), pg, gRPC and kafkajs instrumentations; W3C traceparent crosses gRPC metadata and Kafka headers. Unset (the default): tracing is off and nothing of the SDK is loaded. The standard OTEL_* variables (OTEL_SERVICE_NAME, OTEL_BSP_SCHEDULE_DELAY, OTEL_SDK_DISABLED...) apply. No identifier is put in a span (libs/observability/src/tracing.ts).',
  },
  NODE_ENV: { schema: z.enum(['development', 'production', 'test']).default('production'), doc: 'development enables GraphQL introspection.' },
} as const;

export type VariableName = keyof typeof variables;
export type Config<K extends VariableName> = { [P in K]: z.output<(typeof variables)[P]['schema']> };

export class ConfigError extends Error {
  constructor(readonly variable: string, readonly problem: string) {
    super(`${variable} ${problem}`);
  }
}

/** Pure: validates the given environment; throws ConfigError naming the first bad variable. */
export function parseConfig<K extends VariableName>(names: readonly K[], env: Record<string, string | undefined>): Config<K> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const raw = env[name];
    const value = raw === '' ? undefined : raw;
    const result = (variables[name].schema as z.ZodType).safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      const problem = value === undefined && issue.code === 'invalid_type' ? 'is missing' : `is malformed: ${issue.message}`;
      throw new ConfigError(name, problem);
    }
    out[name] = result.data;
  }
  return out as Config<K>;
}

/**
 * Loads configuration for an app at start; on error prints one line to stderr and exits 78
 * (EX_CONFIG), before anything else is started.
 */
export function loadConfig<K extends VariableName>(app: string, names: readonly K[], env = process.env): Config<K> {
  try {
    return parseConfig(names, env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${app}: configuration error: ${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
}
