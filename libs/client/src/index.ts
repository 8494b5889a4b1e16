export * from './sign';
export * from './gateway-client';
export * from './key-file';
