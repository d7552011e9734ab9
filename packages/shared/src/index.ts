export * from './error';
export * from './ids';
export * from './contact';
export * from './session';
export * from './memory';
