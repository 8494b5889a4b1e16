export * from './disclosure.module';
export * from './disclosure.service';
export * from './disclosure-note';
export type { CursorBinding } from './page-cursor';
