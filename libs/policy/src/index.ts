export * from './disclosure';
export * from './purposes';
export * from './programs';
export * from './statistics';
export * from './disclosure-page';
export * from './relocation';
