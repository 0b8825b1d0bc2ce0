import {
  DEFAULT_LOCALE,
  type MessageTemplate,
  OVERFLOW_STOP_PHRASES,
  RESPONSE_TIME_PHRASES,
} from './template-catalog';

export class TemplateVariableMissingError extends Error {
  constructor(readonly variable: string) {
    super(`Template variable {{${variable}}} has no value`);
    this.name = 'TemplateVariableMissingError';
  }
}

export interface RenderedMessage extends MessageTemplate {
  locale: string;
}

const PLACEHOLDER = /\{\{(\w+)\}\}/g;

/**
 * The first of the preferred locales (`tr-TR` counts as `tr`) among those available, else English.
 * Callers pass the customer's own locale before the ticket's detected language.
 */
export function pickLocale(available: Iterable<string>, preferred: Array<string | null | undefined>): string {
  const offered = new Set(available);
  for (const candidate of preferred) {
    const language = candidate?.trim().toLowerCase().split(/[-_]/)[0];
    if (language && offered.has(language)) return language;
  }
  return DEFAULT_LOCALE;
}

/** The placeholders a template uses, to check them against what its kind offers. */
export function placeholdersOf(template: MessageTemplate): string[] {
  const names = new Set<string>();
  for (const text of [template.subject, template.body]) {
    for (const match of text.matchAll(PLACEHOLDER)) names.add(match[1]);
  }
  return [...names];
}

/**
 * Fills placeholders with values taken literally: a value is never scanned for placeholders or
 * evaluated, and cannot break out of the subject line (CR/LF become spaces).
 */
export function renderTemplate(
  template: MessageTemplate,
  locale: string,
  values: Record<string, string>,
): RenderedMessage {
  const fill = (text: string, singleLine: boolean) =>
    text.replace(PLACEHOLDER, (_, name: string) => {
      const value = values[name];
      if (value === undefined) throw new TemplateVariableMissingError(name);
      return singleLine ? value.replace(/[\r\n]+/g, ' ') : value;
    });
  return { locale, subject: fill(template.subject, true), body: fill(template.body, false) };
}

/** Building an Intl.DateTimeFormat costs far more than formatting with one: keep one per locale and zone. */
const DATE_TIME_FORMATS = new Map<string, Intl.DateTimeFormat>();
/** Locales and zones are validated, so the map stays small; the bound is a backstop. */
const MAX_DATE_TIME_FORMATS = 1_000;

function dateTimeFormat(locale: string, timeZone: string): Intl.DateTimeFormat {
  const key = `${locale}\u0000${timeZone}`;
  let format = DATE_TIME_FORMATS.get(key);
  if (!format) {
    if (DATE_TIME_FORMATS.size >= MAX_DATE_TIME_FORMATS) DATE_TIME_FORMATS.clear();
    format = new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'short', timeZone });
    DATE_TIME_FORMATS.set(key, format);
  }
  return format;
}

/**
 * "by Monday, 30 November 2026 at 12:00 GMT+3" in the customer's language and time zone (UTC
 * when unknown), or "as soon as possible" when no SLA clock promises a time.
 */
export function responseTimePhrase(dueAt: Date | null, locale: string, timeZone: string | null): string {
  const phrases = RESPONSE_TIME_PHRASES[locale] ?? RESPONSE_TIME_PHRASES[DEFAULT_LOCALE];
  if (!dueAt) return phrases.asap;
  const time = dateTimeFormat(locale, timeZone ?? 'UTC').format(dueAt);
  const zone = timeZone ? ` (${timeZone})` : ' (UTC)';
  return phrases.by.replace('{{time}}', `${time}${zone}`);
}

/** Why overflow stopped, in the locale the escalation is rendered in (English when not shipped). */
export function overflowStopPhrase(reason: 'limit_reached' | 'no_other_agent', locale: string): string {
  return (OVERFLOW_STOP_PHRASES[locale] ?? OVERFLOW_STOP_PHRASES[DEFAULT_LOCALE])[reason];
}

/** IANA zones only; anything else is ignored rather than trusted. */
export function validTimeZone(candidate: unknown): string | null {
  if (typeof candidate !== 'string' || candidate.length > 64) return null;
  try {
    new Intl.DateTimeFormat('en', { timeZone: candidate });
    return candidate;
  } catch {
    return null;
  }
}
