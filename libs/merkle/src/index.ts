export * from './hash';
export * from './reference';
export * from './stored-nodes';
export * from './compact-range';
export * from './verifier';
export * from './chunked';
