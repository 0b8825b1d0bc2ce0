export * from './load-config';
export * from './blocks';
