export * from './types';
export * from './check';
export * from './registry';
export * from './load';
export * from './holder';
// RegistryModule (NestJS) is imported as '@passerelle/registry/registry.module': the CLI uses this index without NestJS.
export * from './edit';
export * from './ledger-record';
