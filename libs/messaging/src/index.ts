export * from './kafka';
export * from './job-match';
