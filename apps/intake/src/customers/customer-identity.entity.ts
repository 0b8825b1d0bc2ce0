import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Customer } from './customer.entity';

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

  @ManyToOne(() => Customer, (customer) => customer.identities)
  @JoinColumn({ name: 'customer_id' })
  customer: Customer;

  @Column({ type: 'text' })
  kind: IdentityKind;

  /** Normalised: lower-cased email and handle, digits-only phone. */
  @Column({ type: 'text' })
  value: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
