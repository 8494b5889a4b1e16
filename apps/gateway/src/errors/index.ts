export * from './domain-errors';
export * from './domain-error.filter';
