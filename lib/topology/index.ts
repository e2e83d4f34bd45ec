export * from './deploy-outputs';
export * from './errors';
export * from './load';
export * from './routing-table';
export * from './schema';
export * from './source';
export * from './validate';
export * from './views';
export { DEFAULT_TOPOLOGY } from './default';
