import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { loadConfig, loadGrpcTls } from '@passerelle/config';
import { createLogger, NestPinoLogger } from '@passerelle/logger';
import type { FastifyRequest } from 'fastify';
import { AppModule } from '../../apps/gateway/src/app.module';
import type { Exchange } from '../../apps/gateway/src/exchange/exchange-context';
import { ExchangeRecorder } from '../../apps/gateway/src/exchange/exchange-recorder';
import { RequestVerifier, type CallerCheck } from '../../apps/gateway/src/exchange/request-verifier';
import { ResponseSigner } from '../../apps/gateway/src/exchange/response-signer';
import { SIGNATURE_HEADER } from '../../apps/gateway/src/exchange/signature-claims';
import { requireBenchTrustOff, unverifiedCaller } from './bench-trust-off';

/** Trust off: the caller is whoever the header says, unverified; no replay check, no rate limit. */
@Injectable()
class TrustOffVerifier {
  async check(request: FastifyRequest): Promise<CallerCheck> {
    const caller = unverifiedCaller(request.headers[SIGNATURE_HEADER]);
    if (caller) return { ok: true, caller };
    return { ok: false, status: 401, code: 'malformed_signature', message: 'trust-off bench mode still needs a decodable X-Agency-Signature', unverified: false };
  }
}

/** Trust off: no ledger entry, neither intent nor outcome. */
@Injectable()
class NoLedger {
  async appendIntent(exchange: Exchange): Promise<number> {
    exchange.intentSeq = -1;
    return -1;
  }
  async appendClosing(): Promise<number> {
    return -1;
  }
}

/** Trust off: answers go unsigned. */
@Injectable()
class NoSignature {
  async sign(): Promise<undefined> {
    return undefined;
  }
}

/**
 * BENCH ONLY: the gateway's own modules with its trust providers replaced (bench-trust-off.ts).
 * Built by the bench, never by `npm run build`; run by bench/trust-off/main.js.
 */
async function main() {
  const config = loadConfig('gateway', ['DATABASE_URL', 'KAFKA_BROKERS', 'PASSERELLE_REGISTRY', 'PASSERELLE_SECRETS_DIR', 'GATEWAY_PORT', 'GATEWAY_HOST', 'GATEWAY_UNVERIFIED_PER_MINUTE', 'CONSENT_AUDIT_URL', 'LOG_LEVEL', 'NODE_ENV', 'GATEWAY_PROBE_PORT', 'GATEWAY_PROBE_HOST', 'CONSUMER_METRICS_URL']);
  const logger = createLogger('gateway-trust-off', config.LOG_LEVEL);
  requireBenchTrustOff(logger);
  const grpcTls = await loadGrpcTls('gateway', 'gateway', (msg) => logger.error(msg));
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot({ ...config, grpcTls }, logger)] })
    .overrideProvider(RequestVerifier)
    .useClass(TrustOffVerifier)
    .overrideProvider(ExchangeRecorder)
    .useClass(NoLedger)
    .overrideProvider(ResponseSigner)
    .useClass(NoSignature)
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter({ bodyLimit: 8 * 1024 * 1024, trustProxy: false }), {
    logger: new NestPinoLogger(logger),
  });
  await app.listen(config.GATEWAY_PORT, config.GATEWAY_HOST);
  logger.info({ url: `http://${config.GATEWAY_HOST}:${config.GATEWAY_PORT}` }, 'trust-off bench gateway listening');
  const stop = () => void app.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`trust-off bench gateway failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
