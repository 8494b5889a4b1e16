export * from './suppression';
export * from './statistics';
export * from './release-audit';
