import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

import { type BusinessCalendar, type WeeklyHours } from './business-time';

export type { WeeklyHours } from './business-time';

/** node-postgres reads a `date` as local midnight; a calendar date is only its year, month and day. */
function asLocalDates(values: Array<Date | string> | null): string[] {
  return (values ?? []).map((value) =>
    typeof value === 'string'
      ? value
      : `${value.getFullYear()}-${String(value.getMonth() + 1).padStart(2, '0')}-${String(value.getDate()).padStart(2, '0')}`,
  );
}

@Entity({ name: 'calendars' })
export class Calendar implements BusinessCalendar {
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

  @Column({
    type: 'date',
    array: true,
    default: () => "'{}'",
    transformer: { to: (v: unknown) => v, from: asLocalDates },
  })
  holidays: string[];

  /** Also closed on this country's public holidays (date-holidays), e.g. TR or US-NY. */
  @Column({ type: 'text', nullable: true })
  country: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
