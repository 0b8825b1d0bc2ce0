export * from './infrastructure';
export * from './isolation';
export * from './wait-for';
export * from './kafka-probe';
export * from './smtp-sink';
export * from './nest-app';
export * from './webhook-receiver';
export * from './tcp-proxy';
