export const NOTIFICATIONS_CONFIG = Symbol('NOTIFICATIONS_CONFIG');

/** The CloudEvents `source` of every event this service emits. */
export const NOTIFICATIONS_SOURCE = 'ticketflow/notifications';

/** The changes notifications' audit log records, and so its table's CHECK constraints allow. */
export const NOTIFICATIONS_AUDITED = {
  entityTypes: ['delivery'],
  actions: ['resent'],
} as const;
