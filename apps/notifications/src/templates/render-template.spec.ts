import { CUSTOMER_LOCALES, TEMPLATE_CATALOG } from './template-catalog';
import {
  pickLocale,
  placeholdersOf,
  renderTemplate,
  responseTimePhrase,
  TemplateVariableMissingError,
  validTimeZone,
} from './render-template';

const values = {
  reference: 'TCK-000042',
  subject: 'Printer on fire',
  customerName: 'Ayşe',
  agentName: 'Alice',
  metric: 'first response',
  dueAt: '2026-01-01T10:00:00.000Z',
  breachedAt: '2026-01-01T10:00:00.000Z',
  leadName: 'Lena',
  previousAgent: 'Sam',
  overflows: '2',
  stopReason: 'no other qualified agent can take it',
  responseTime: 'by Monday',
  message: 'Please restart it.',
  surveyUrl: 'https://support.example.com/v1/surveys/abc',
  percent: '75%',
  recipientName: 'Rita',
  step: '2',
  score: '1',
  comment: 'Slow',
};

describe('notification templates', () => {
  it('prefers the customer locale, then the ticket language, then English', () => {
    expect(pickLocale(['en', 'tr', 'el'], ['tr-TR', 'el'])).toBe('tr');
    expect(pickLocale(['en', 'tr', 'el'], [null, 'el'])).toBe('el');
    expect(pickLocale(['en', 'tr', 'el'], ['de', undefined])).toBe('en');
    expect(pickLocale(['en'], ['tr'])).toBe('en');
  });

  it('ships every customer-facing kind in en, tr and el, each carrying the ticket reference', () => {
    for (const spec of Object.values(TEMPLATE_CATALOG)) {
      if (spec.audience !== 'customer') continue;
      expect(Object.keys(spec.locales).sort()).toEqual([...CUSTOMER_LOCALES].sort());
      for (const [locale, template] of Object.entries(spec.locales)) {
        expect(renderTemplate(template, locale, values).subject).toContain('[TCK-000042]');
      }
    }
  });

  it('uses only the variables each kind declares, and fills every placeholder', () => {
    for (const spec of Object.values(TEMPLATE_CATALOG)) {
      for (const [locale, template] of Object.entries(spec.locales)) {
        expect(
          placeholdersOf(template).filter((name) => !(spec.variables as readonly string[]).includes(name)),
        ).toEqual([]);
        const message = renderTemplate(template, locale, values);
        expect(`${message.subject}${message.body}`).not.toMatch(/\{\{|\}\}/);
      }
    }
  });

  it('keeps values out of other header lines and never evaluates them', () => {
    const message = renderTemplate(TEMPLATE_CATALOG['ticket.acknowledgment'].locales.en, 'en', {
      ...values,
      subject: 'Hi\r\nBcc: victim@example.com {{customerName}}',
    });
    expect(message.subject).toBe(
      '[TCK-000042] We received your request: Hi Bcc: victim@example.com {{customerName}}',
    );
  });

  it('refuses to send a message with a hole in it', () => {
    const { customerName: _omitted, ...incomplete } = values;
    expect(() =>
      renderTemplate(TEMPLATE_CATALOG['ticket.acknowledgment'].locales.en, 'en', incomplete),
    ).toThrow(TemplateVariableMissingError);
  });

  it("phrases the promised response time in the customer's language and time zone", () => {
    const due = new Date('2026-11-30T09:00:00Z');
    expect(responseTimePhrase(due, 'tr', 'Europe/Istanbul')).toBe(
      'en geç 30 Kasım 2026 Pazartesi 12:00 (Europe/Istanbul)',
    );
    expect(responseTimePhrase(due, 'en', null)).toBe('by Monday, November 30, 2026 at 9:00 AM (UTC)');
    expect(responseTimePhrase(due, 'el', 'Europe/Athens')).toMatch(
      /^έως Δευτέρα 30 Νοεμβρίου 2026.*11:00.*\(Europe\/Athens\)$/,
    );
    expect(responseTimePhrase(null, 'el', null)).toBe('το συντομότερο δυνατό');
  });

  it('accepts IANA time zones only', () => {
    expect(validTimeZone('Europe/Istanbul')).toBe('Europe/Istanbul');
    expect(validTimeZone('Mars/Olympus')).toBeNull();
    expect(validTimeZone(3)).toBeNull();
  });
});
