import Holidays from 'date-holidays';

/** `TR`, `GR`, or a subdivision such as `US-NY` (ISO 3166-1 / 3166-2 as date-holidays names them). */
const REGION = /^([A-Z]{2})(?:-([A-Z0-9]{1,3}))?$/;

const catalogue = new Holidays();
const byYear = new Map<string, Set<string>>();

export function isKnownRegion(code: string): boolean {
  const match = REGION.exec(code);
  if (!match) return false;
  const [, country, state] = match;
  if (!Object.hasOwn(catalogue.getCountries(), country)) return false;
  return !state || Object.hasOwn(catalogue.getStates(country) ?? {}, state);
}

/** The region's public holidays in `year`, as local dates (YYYY-MM-DD); computed once per region and year. */
export function publicHolidays(region: string, year: number): Set<string> {
  const key = `${region}:${year}`;
  let dates = byYear.get(key);
  if (!dates) {
    const [, country, state] = REGION.exec(region) ?? [];
    if (!country) throw new Error(`"${region}" is not a country code such as TR or US-NY`);
    const holidays = state ? new Holidays(country, state) : new Holidays(country);
    dates = new Set(
      holidays
        .getHolidays(year)
        .filter((holiday) => holiday.type === 'public')
        .map((holiday) => holiday.date.slice(0, 10)),
    );
    byYear.set(key, dates);
  }
  return dates;
}
