export * from './names';
export * from './database';
export * from './processes';
export * from './fake-ledger';
export * from './test-registry';
export * from './gateway';
