export const ROUTING_CONFIG = Symbol('ROUTING_CONFIG');
export const ROUTING_SOURCE = 'ticketflow/routing';
