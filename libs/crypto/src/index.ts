export * from './encoding';
export * from './secret-files';
export * from './gateway-key';
export * from './pseudonyms';
export * from './tls-material';
export * from './tls-pki';
export * from './tree-head-keys';
