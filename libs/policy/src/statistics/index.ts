export * from './suppression';
export * from './statistics';
