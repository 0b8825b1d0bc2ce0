import {
  DEFAULT_LOCALE,
  type MessageTemplate,
  TEMPLATE_CATALOG,
  type TemplateKind,
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

/**
 * The first of the preferred locales (`tr-TR` counts as `tr`) that the kind ships in, else English.
 * Callers pass the customer's own locale before the ticket's detected language.
 */
export function pickLocale(kind: TemplateKind, preferred: Array<string | null | undefined>): string {
  const available = TEMPLATE_CATALOG[kind];
  for (const candidate of preferred) {
    const language = candidate?.trim().toLowerCase().split(/[-_]/)[0];
    if (language && language in available) return language;
  }
  return DEFAULT_LOCALE;
}

function fill(text: string, values: Record<string, string>, singleLine: boolean): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new TemplateVariableMissingError(name);
    // A value must not break out of a header line: no CR/LF in subjects.
    return singleLine ? value.replace(/[\r\n]+/g, ' ') : value;
  });
}

export function renderTemplate(
  kind: TemplateKind,
  locale: string,
  values: Record<string, string>,
): RenderedMessage {
  const chosen = TEMPLATE_CATALOG[kind][locale] ?? TEMPLATE_CATALOG[kind][DEFAULT_LOCALE];
  return {
    locale: TEMPLATE_CATALOG[kind][locale] ? locale : DEFAULT_LOCALE,
    subject: fill(chosen.subject, values, true),
    body: fill(chosen.body, values, false),
  };
}
