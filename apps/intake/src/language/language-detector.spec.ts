import { DEFAULT_LANGUAGE_CANDIDATES, LanguageDetector, TicketLanguagePolicy } from './language-detector';

describe('language detection', () => {
  const detector = new LanguageDetector({ candidates: DEFAULT_LANGUAGE_CANDIDATES });

  it.each([
    ['tr', 'Merhaba, siparişim hâlâ gelmedi. Kargo takip numarası çalışmıyor, lütfen yardım edin.'],
    ['tr', 'Faturamda bir hata var, iki kez ücret alınmış.'],
    ['el', 'Γεια σας, η παραγγελία μου δεν έχει φτάσει ακόμα. Μπορείτε να με βοηθήσετε;'],
    ['el', 'Θέλω να μιλήσω με έναν άνθρωπο.'],
    ['en', 'Hello, my order has not arrived yet and the tracking link does not work.'],
    ['en', 'Where is my order? It has not arrived.'],
    ['de', 'Hallo, wo ist meine Bestellung? Sie ist nicht angekommen.'],
  ])('answers %s for "%s"', (expected, text) => {
    expect(detector.detect(text)).toBe(expected);
  });

  it('does not guess on text too short to tell', () => {
    expect(detector.detect('Refund please')).toBeUndefined();
    expect(detector.detect('12345 !!! ???')).toBeUndefined();
  });

  it('maps franc’s individual-language codes to ISO 639-1 macrolanguages', () => {
    const arabic = new LanguageDetector({ candidates: ['ar', 'en'] });
    expect(arabic.detect('مرحبا، لم يصل طلبي بعد. هل يمكنكم مساعدتي من فضلكم؟')).toBe('ar');
  });

  it('refuses candidate codes it cannot detect', () => {
    expect(() => new LanguageDetector({ candidates: ['en', 'xx'] })).toThrow(/"xx"/);
  });

  describe('a ticket’s language', () => {
    const policy = new TicketLanguagePolicy(detector, 'en');

    it('follows the customer’s locale over the text', () => {
      expect(policy.choose('tr-TR', 'Hello, my order has not arrived yet.')).toEqual({
        language: 'tr',
        source: 'customer_locale',
      });
    });

    it('detects it from the text when the locale is unknown', () => {
      expect(policy.choose(null, 'Γεια σας, η παραγγελία μου δεν έχει φτάσει ακόμα.')).toEqual({
        language: 'el',
        source: 'detected',
      });
    });

    it('falls back to the default when the text says too little', () => {
      expect(policy.choose(undefined, 'ok')).toEqual({ language: 'en', source: 'default' });
    });
  });
});
