import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type MessageAuthor = 'customer' | 'agent';

@Entity({ name: 'messages' })
export class Message {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  tenant: string;

  @Column({ type: 'uuid' })
  ticketId: string;

  @Column({ type: 'text' })
  author: MessageAuthor;

  @Column({ type: 'text', nullable: true })
  agentId: string | null;

  @Column({ type: 'text' })
  body: string;

  /** Internal notes are for agents only and never reach the customer. */
  @Column({ type: 'boolean', default: false })
  internal: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
