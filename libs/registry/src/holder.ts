import type { Logger } from '@passerelle/logger';
import { readRegistryFile, RegistryError } from './load';
import { Registry } from './registry';

export type RegistryListener = (registry: Registry, previous: Registry) => void;

/**
 * Holds the registry in force. `reload()` swaps in a new immutable `Registry` atomically:
 * requests in flight keep the one they started with; an invalid file keeps the old one.
 */
export class RegistryHolder {
  private registry: Registry;
  private readonly listeners = new Set<RegistryListener>();
  private reloading: Promise<boolean> | undefined;

  constructor(
    readonly file: string,
    initial: Registry,
    private readonly logger?: Logger,
  ) {
    this.registry = initial;
  }

  /** Loads the file once; throws RegistryError when it is invalid (refuse to start). */
  static async load(file: string, logger?: Logger): Promise<RegistryHolder> {
    const { document, version } = await readRegistryFile(file);
    return new RegistryHolder(file, new Registry(document, version), logger);
  }

  current(): Registry {
    return this.registry;
  }

  /** Re-reads the file. Resolves true when the new registry took effect, false when kept the old. */
  reload(): Promise<boolean> {
    // Coalesce concurrent reloads (two SIGHUPs in a row read the file once more at most).
    this.reloading ??= this.doReload().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  onReload(listener: RegistryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async doReload(): Promise<boolean> {
    let next: Registry;
    try {
      const { document, version } = await readRegistryFile(this.file);
      next = new Registry(document, version);
    } catch (e) {
      const problems = e instanceof RegistryError ? e.problems : [{ pointer: '', message: (e as Error).message }];
      this.logger?.error({ file: this.file, problems }, 'registry reload refused: the file is invalid, keeping the registry in force');
      return false;
    }
    const previous = this.registry;
    this.registry = next;
    this.logger?.info(
      { file: this.file, version: next.version, agencies: next.document.agencies.length, agreements: next.document.agreements.length },
      'registry reloaded',
    );
    for (const listener of this.listeners) {
      try {
        listener(next, previous);
      } catch (err) {
        this.logger?.error({ err }, 'registry reload listener failed');
      }
    }
    return true;
  }
}
