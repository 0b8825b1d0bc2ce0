import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type WeeklyHours = Partial<
  Record<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun', Array<[string, string]>>
>;

@Entity({ name: 'calendars' })
export class Calendar {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  tenant: string;

  @Column({ type: 'text' })
  name: string;

  /** IANA zone, e.g. Europe/Istanbul. */
  @Column({ type: 'text' })
  timezone: string;

  @Column({ type: 'jsonb' })
  weekly: WeeklyHours;

  @Column({ type: 'date', array: true, default: () => "'{}'" })
  holidays: string[];

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
