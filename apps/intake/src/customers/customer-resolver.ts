import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type CustomerIdentity as IdentityInput } from '@app/contracts';
import { type IdentityKind } from './customer-identity.entity';

export interface ResolvedCustomer {
  id: string;
  /** The locale the customer told us, now or on an earlier ticket. */
  locale: string | null;
  /** Where to write back: this message's address, else the customer's first known one. */
  email: string | null;
}

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

async function primaryEmail(manager: EntityManager, customerId: string): Promise<string | null> {
  const rows: Array<{ value: string }> = await manager.query(
    `SELECT value FROM customer_identities WHERE customer_id = $1 AND kind = 'email' ORDER BY created_at LIMIT 1`,
    [customerId],
  );
  return rows[0]?.value ?? null;
}

/**
 * One customer per person: any known identity finds them, and identities seen together with a
 * known one are linked to the same customer. Advisory locks on the identities serialise two
 * first-time messages from the same address, which would otherwise create two customers.
 */
@Injectable()
export class CustomerResolver {
  async byId(manager: EntityManager, customerId: string): Promise<ResolvedCustomer> {
    const [customer] = await manager.query<Array<{ id: string; locale: string | null }>>(
      'SELECT id, locale FROM customers WHERE id = $1',
      [customerId],
    );
    if (!customer) throw new Error(`Customer ${customerId} of an existing ticket is missing`);
    return { ...customer, email: await primaryEmail(manager, customerId) };
  }

  /** Whether any of these identities is one of the customer's; reads only, creates nothing. */
  async isKnownAs(
    manager: EntityManager,
    tenant: string,
    customerId: string,
    input: IdentityInput,
  ): Promise<boolean> {
    const identities = normaliseIdentities(input);
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM customer_identities
       WHERE tenant = $1 AND customer_id = $2 AND (kind, value) IN (SELECT * FROM unnest($3::text[], $4::text[]))
       LIMIT 1`,
      [tenant, customerId, identities.map((i) => i.kind), identities.map((i) => i.value)],
    );
    return rows.length > 0;
  }

  async resolve(manager: EntityManager, tenant: string, input: IdentityInput): Promise<ResolvedCustomer> {
    const identities = normaliseIdentities(input);
    const lockKeys = identities.map((identity) => `${tenant}:${identity.kind}:${identity.value}`).sort();
    for (const key of lockKeys) await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);

    const known: Array<{ customer_id: string }> = await manager.query(
      `SELECT customer_id FROM customer_identities
       WHERE tenant = $1 AND (kind, value) IN (SELECT * FROM unnest($2::text[], $3::text[]))
       ORDER BY created_at LIMIT 1`,
      [tenant, identities.map((i) => i.kind), identities.map((i) => i.value)],
    );
    let customer: Pick<ResolvedCustomer, 'id' | 'locale'>;
    if (known.length === 0) {
      [customer] = await manager.query<Array<Pick<ResolvedCustomer, 'id' | 'locale'>>>(
        'INSERT INTO customers (tenant, name, locale) VALUES ($1, $2, $3) RETURNING id, locale',
        [tenant, input.name ?? null, input.locale ?? null],
      );
    } else {
      // A merged record's identities moved to the survivor, so a match is never a merged customer.
      [customer] = await manager.query<Array<Pick<ResolvedCustomer, 'id' | 'locale'>>>(
        // Wrapped in a SELECT: TypeORM answers a bare UPDATE with [rows, count] instead of rows.
        `WITH updated AS (
           UPDATE customers SET name = COALESCE(name, $2), locale = COALESCE(locale, $3)
           WHERE id = $1 RETURNING id, locale)
         SELECT id, locale FROM updated`,
        [known[0].customer_id, input.name ?? null, input.locale ?? null],
      );
    }
    const customerId = customer.id;
    for (const identity of identities) {
      await manager.query(
        `INSERT INTO customer_identities (tenant, customer_id, kind, value) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant, kind, value) DO NOTHING`,
        [tenant, customerId, identity.kind, identity.value],
      );
    }
    const email =
      identities.find((identity) => identity.kind === 'email')?.value ??
      (await primaryEmail(manager, customerId));
    return { id: customerId, locale: customer.locale, email };
  }
}
