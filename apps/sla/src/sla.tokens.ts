export const SLA_CONFIG = Symbol('SLA_CONFIG');

/** The CloudEvents `source` of every event this service emits. */
export const SLA_SOURCE = 'ticketflow/sla';
