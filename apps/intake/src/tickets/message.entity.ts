import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

import { type Channel } from '@app/contracts';

/** `bot` lines come from a chatbot transcript handed over with an escalation. */
export type MessageAuthor = 'customer' | 'agent' | 'bot';

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

  @Column({ type: 'text', nullable: true })
  channel: Channel | null;

  /** The sender's id for the message (an email Message-ID without brackets): the dedupe and threading key. */
  @Column({ type: 'text', nullable: true })
  externalMessageId: string | null;

  /** Internal notes are for agents only and never reach the customer. */
  @Column({ type: 'boolean', default: false })
  internal: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
