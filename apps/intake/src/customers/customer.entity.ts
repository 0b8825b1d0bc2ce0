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

  @OneToMany(() => CustomerIdentity, (identity) => identity.customer)
  identities: CustomerIdentity[];

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
