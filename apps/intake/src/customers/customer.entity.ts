import { Column, CreateDateColumn, Entity, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import { CustomerIdentity } from './customer-identity.entity';

/** One person across every channel they write from. */
@Entity({ name: 'customers' })
export class Customer {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  tenant: string;

  @Column({ type: 'text', nullable: true })
  name: string | null;

  @Column({ type: 'text', nullable: true })
  locale: string | null;

  /** Set when an admin merged this record into another; every identity and ticket moved there. */
  @Column({ type: 'uuid', nullable: true })
  mergedInto: string | null;

  @OneToMany(() => CustomerIdentity, (identity) => identity.customer)
  identities: CustomerIdentity[];

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
