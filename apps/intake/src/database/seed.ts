import { type DataSource } from 'typeorm';

/** Intake has no demo data: tickets arrive through the API and the inbound topic. */
export function seedIntakeDemo(_dataSource: DataSource): Promise<void> {
  return Promise.resolve();
}
