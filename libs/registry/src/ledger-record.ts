import type { Logger } from '@passerelle/logger';
import type { RegistryHolder } from './holder';

export type RegistryOperation = 'registry:load' | 'registry:reload';

/** How long the first record waits between tries while the ledger does not answer. */
const RETRY_MS = [250, 500, 1000, 2000, 5000];

/**
 * Records in the ledger the registry an app holds (docs/contract.md §5.2): its load now (retried
 * until the ledger takes it: the app already runs under that registry, so this never blocks
 * start), then every reload the holder makes. `record` appends one entry and resolves once it is
 * durable. Returns `first`, settled once the first try of the load is over (an app awaits it at
 * start, so that its load comes before its first exchange in the ledger), and `stop`.
 */
export function recordRegistryInLedger(
  holder: RegistryHolder,
  record: (operation: RegistryOperation, version: string) => Promise<unknown>,
  logger?: Logger,
): { first: Promise<void>; stop: () => void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const once = async (operation: RegistryOperation, version: string): Promise<boolean> => {
    try {
      await record(operation, version);
      logger?.info({ operation, registryVersion: version }, 'registry version recorded in the ledger');
      return true;
    } catch (err) {
      logger?.warn({ err, operation, registryVersion: version }, 'could not record the registry version in the ledger');
      return false;
    }
  };
  const load = async (attempt: number) => {
    if (stopped) return;
    if (await once('registry:load', holder.current().version)) return;
    if (!stopped) timer = setTimeout(() => void load(attempt + 1), RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]);
  };
  const first = load(0);
  const unsubscribe = holder.onReload((next) => void once('registry:reload', next.version));
  return {
    first,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      unsubscribe();
    },
  };
}
