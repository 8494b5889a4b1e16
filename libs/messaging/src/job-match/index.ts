export * from './job-match.validation';
export * from './job-match.signature';
export * from './job-match.message';
export * from './job-match.fixtures';
export * from './job-match.proto';
export * from './job-match.verifier';
export * from './job-match.batch';
export * from './job-match.batch-tree';
