import type { Logger } from 'pino';
import { stopTracing } from './tracing';

/**
 * Graceful stop on SIGTERM/SIGINT: runs the closers in order once, then exits.
 * A second signal, or closers taking longer than `graceMs`, forces the exit.
 */
export function onShutdown(logger: Logger, closers: Array<() => Promise<unknown>>, graceMs = 10_000): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown took too long, exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    for (const close of closers) {
      try {
        await close();
      } catch (e) {
        logger.warn({ err: e }, 'error while shutting down');
      }
    }
    // The last spans (this shutdown's included) leave before the process does.
    await stopTracing().catch((e: unknown) => logger.warn({ err: e }, 'traces not flushed'));
    logger.info('stopped');
    logger.flush?.();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
