import { startTracing } from '@app/observability/tracing/start-tracing';

// Before anything else loads: the instrumentations patch http, express, pg and ioredis as they are required.
startTracing('routing');
