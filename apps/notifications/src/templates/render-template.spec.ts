import { TEMPLATE_CATALOG, type TemplateKind } from './template-catalog';
import { pickLocale, renderTemplate, TemplateVariableMissingError } from './render-template';

const values = {
  reference: 'TCK-000042',
  subject: 'Printer on fire',
  customerName: 'Ayşe',
  agentName: 'Alice',
  metric: 'first response',
  dueAt: '2026-01-01T10:00:00.000Z',
  leadName: 'Lena',
  previousAgent: 'Sam',
};

describe('notification templates', () => {
  it('prefers the customer locale, then the ticket language, then English', () => {
    expect(pickLocale('ticket.acknowledgment', ['tr-TR', 'el'])).toBe('tr');
    expect(pickLocale('ticket.acknowledgment', [null, 'el'])).toBe('el');
    expect(pickLocale('ticket.acknowledgment', ['de', undefined])).toBe('en');
    expect(pickLocale('sla.breached', ['tr'])).toBe('en');
  });

  it('ships en, tr and el for the customer acknowledgment, each carrying the ticket reference', () => {
    for (const locale of ['en', 'tr', 'el']) {
      const message = renderTemplate('ticket.acknowledgment', locale, values);
      expect(message.locale).toBe(locale);
      expect(message.subject).toContain('[TCK-000042]');
      expect(message.body).toContain('Ayşe');
    }
    expect(renderTemplate('ticket.acknowledgment', 'tr', values).subject).toBe(
      '[TCK-000042] Talebinizi aldık: Printer on fire',
    );
  });

  it('fills every placeholder of every shipped template', () => {
    for (const [kind, locales] of Object.entries(TEMPLATE_CATALOG)) {
      for (const locale of Object.keys(locales)) {
        const message = renderTemplate(kind as TemplateKind, locale, values);
        expect(`${message.subject}${message.body}`).not.toMatch(/\{\{|\}\}/);
      }
    }
  });

  it('keeps values out of other header lines and never evaluates them', () => {
    const message = renderTemplate('ticket.acknowledgment', 'en', {
      ...values,
      subject: 'Hi\r\nBcc: victim@example.com {{customerName}}',
    });
    expect(message.subject).toBe(
      '[TCK-000042] We received your request: Hi Bcc: victim@example.com {{customerName}}',
    );
  });

  it('refuses to send a message with a hole in it', () => {
    const { customerName: _omitted, ...incomplete } = values;
    expect(() => renderTemplate('ticket.acknowledgment', 'en', incomplete)).toThrow(
      TemplateVariableMissingError,
    );
  });
});
