import { EventPattern } from '@nestjs/microservices';
import { type EventType } from '@app/contracts';

/**
 * Marks a consumer method as the handler of one or more contract event types, checked against
 * the contracts at compile time (the transport checks them again when it subscribes).
 *
 * Nest's own typed `@EventPattern<Events>('type')` overload types every argument after the
 * payload as `unknown`, which rejects the `@Ctx() ctx: EventContext` our handlers take; an array
 * pattern takes the untyped overload, and Nest registers each of its entries as a pattern.
 */
export function HandlesEvent(types: EventType | readonly EventType[]): MethodDecorator {
  return EventPattern(typeof types === 'string' ? [types] : [...types]);
}
