export * from './suppression';
export * from './statistics';
export * from './release-audit';
export * from './merged-population';
