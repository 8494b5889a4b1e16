export * from './errors';
export * from './encoding';
export * from './keys';
export * from './note';
export * from './checkpoint';
export * from './cosignature';
export * from './verifiers';
