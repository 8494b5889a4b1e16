export * from './data-source';
export * from './migrate';
export * from './privileges';
export * from './app-login';
export * from './persistence.module';
export * from './advisory-locks';
export * from './ledger-sequencer';
