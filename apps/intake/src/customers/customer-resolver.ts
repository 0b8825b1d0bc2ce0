import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type CustomerIdentity as IdentityInput } from '@app/contracts';
import { type IdentityKind } from './customer-identity.entity';

interface NormalisedIdentity {
  kind: IdentityKind;
  value: string;
}

export function normaliseIdentities(input: IdentityInput): NormalisedIdentity[] {
  const identities: NormalisedIdentity[] = [];
  if (input.email) identities.push({ kind: 'email', value: input.email.trim().toLowerCase() });
  if (input.phone) identities.push({ kind: 'phone', value: input.phone.replace(/[^0-9]/g, '') });
  if (input.handle) identities.push({ kind: 'handle', value: input.handle.trim().toLowerCase() });
  return identities;
}

/**
 * One customer per person: any known identity finds them, and identities seen together with a
 * known one are linked to the same customer. Advisory locks on the identities serialise two
 * first-time messages from the same address, which would otherwise create two customers.
 */
@Injectable()
export class CustomerResolver {
  async resolve(manager: EntityManager, tenant: string, input: IdentityInput): Promise<string> {
    const identities = normaliseIdentities(input);
    const lockKeys = identities.map((identity) => `${tenant}:${identity.kind}:${identity.value}`).sort();
    for (const key of lockKeys) await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);

    const known: Array<{ customer_id: string }> = await manager.query(
      `SELECT customer_id FROM customer_identities
       WHERE tenant = $1 AND (kind, value) IN (SELECT * FROM unnest($2::text[], $3::text[]))
       ORDER BY created_at LIMIT 1`,
      [tenant, identities.map((i) => i.kind), identities.map((i) => i.value)],
    );
    let customerId = known[0]?.customer_id;
    if (!customerId) {
      const [created] = await manager.query<Array<{ id: string }>>(
        'INSERT INTO customers (tenant, name, locale) VALUES ($1, $2, $3) RETURNING id',
        [tenant, input.name ?? null, input.locale ?? null],
      );
      customerId = created.id;
    } else if (input.name || input.locale) {
      await manager.query(
        'UPDATE customers SET name = COALESCE(name, $2), locale = COALESCE(locale, $3) WHERE id = $1',
        [customerId, input.name ?? null, input.locale ?? null],
      );
    }
    for (const identity of identities) {
      await manager.query(
        `INSERT INTO customer_identities (tenant, customer_id, kind, value) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant, kind, value) DO NOTHING`,
        [tenant, customerId, identity.kind, identity.value],
      );
    }
    return customerId;
  }
}
