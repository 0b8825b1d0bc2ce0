export const NOTIFICATIONS_CONFIG = Symbol('NOTIFICATIONS_CONFIG');

/** The CloudEvents `source` of every event this service emits. */
export const NOTIFICATIONS_SOURCE = 'ticketflow/notifications';
