import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
// Type-only: the relation names its target by entity name, so the two modules do not load each other.
import type { Customer } from './customer.entity';

export type IdentityKind = 'email' | 'phone' | 'handle';

/** An address a customer can be recognised by; unique per tenant, so it names exactly one customer. */
@Entity({ name: 'customer_identities' })
export class CustomerIdentity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  tenant: string;

  @Column({ type: 'uuid' })
  customerId: string;

  @ManyToOne('Customer', 'identities')
  @JoinColumn({ name: 'customer_id' })
  customer: Relation<Customer>;

  @Column({ type: 'text' })
  kind: IdentityKind;

  /** Normalised: lower-cased email and handle, digits-only phone. */
  @Column({ type: 'text' })
  value: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
