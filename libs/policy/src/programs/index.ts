export * from './program.types';
export * from './evaluate';
export * from './validate';
export * from './reference-programs';
export * from './pacing';
export * from './uptake';
