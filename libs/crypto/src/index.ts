export * from './encoding';
export * from './secret-files';
export * from './gateway-key';
export * from './pseudonyms';
export * from './tree-head-keys';
