export * from './api-keys';
export * from './auth.decorators';
export * from './api-error';
export * from './api-key.guard';
export * from './http-exception.filter';
export * from './validation.pipe';
export * from './http-platform.module';
export * from './configure-http-app';
