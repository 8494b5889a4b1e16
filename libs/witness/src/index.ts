export * from './errors';
export * from './request';
export * from './store';
export * from './file-store';
export * from './evidence';
export * from './witness';
export * from './policy';
export * from './verify';
