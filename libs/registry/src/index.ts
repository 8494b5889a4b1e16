export * from './types';
export * from './check';
export * from './registry';
export * from './load';
export * from './holder';
export * from './registry.module';
export * from './edit';
export * from './ledger-record';
