export * from './infrastructure-urls';
export * from './select-infrastructure';
export * from './local-servers';
export * from './provide-infrastructure';
