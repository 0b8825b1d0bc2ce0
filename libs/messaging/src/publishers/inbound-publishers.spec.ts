import { InvalidEventError, PUBLISHER_HEADER, SIGNATURE_HEADER, signedRecordHeaders } from '@app/contracts';
import { parseInboundPublishers, PublisherDirectory } from './inbound-publishers';

const SECRET = 'a'.repeat(32);
const NEXT_SECRET = 'b'.repeat(32);

describe('parseInboundPublishers', () => {
  it('reads name, tenants and secret, and a second secret of the same publisher for rotation', () => {
    expect(
      parseInboundPublishers(
        `crm:default|acme:${SECRET}, chat:acme:${SECRET} ,crm:acme|default:${NEXT_SECRET}`,
      ),
    ).toEqual([
      { name: 'crm', tenants: ['default', 'acme'], secrets: [SECRET, NEXT_SECRET] },
      { name: 'chat', tenants: ['acme'], secrets: [SECRET] },
    ]);
    expect(parseInboundPublishers('')).toEqual([]);
  });

  it.each([
    ['crm:default', 'is not name:tenant[|tenant...]:secret'],
    [`crm:default:${SECRET}:extra`, 'is not name:tenant[|tenant...]:secret'],
    [`CRM:default:${SECRET}`, 'publisher name "CRM" must match'],
    [`crm:Acme:${SECRET}`, 'tenant "Acme" must match'],
    ['crm:default:short-secret', 'the secret must have at least 32 characters'],
    [`crm:default:${SECRET},crm:acme:${NEXT_SECRET}`, 'listed twice with different tenants'],
  ])('refuses %s', (spec, message) => {
    expect(() => parseInboundPublishers(spec)).toThrow(message);
  });

  it('never repeats a secret in its errors', () => {
    expect(() => parseInboundPublishers('crm:Acme:do-not-print-this-secret-000000')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('do-not-print') as string }),
    );
  });
});

describe('PublisherDirectory', () => {
  const directory = new PublisherDirectory(
    parseInboundPublishers(`crm:default:${SECRET},crm:default:${NEXT_SECRET}`),
  );
  const value = Buffer.from('{"specversion":"1.0"}');
  const refusal = (message: Parameters<PublisherDirectory['authenticate']>[0]) => {
    try {
      directory.authenticate(message);
    } catch (error) {
      return error as InvalidEventError;
    }
    throw new Error('was accepted');
  };

  it('knows the publisher whose secret signed the exact value, under either of its secrets', () => {
    for (const secret of [SECRET, NEXT_SECRET]) {
      const headers = signedRecordHeaders(value, { name: 'crm', secret });
      expect(directory.authenticate({ value, headers }).name).toBe('crm');
    }
  });

  it.each([
    ['no headers', undefined],
    ['no signature', { [PUBLISHER_HEADER]: 'crm' }],
    ['a wrong secret', signedRecordHeaders(value, { name: 'crm', secret: 'c'.repeat(32) })],
    ['an unknown publisher', signedRecordHeaders(value, { name: 'erp', secret: SECRET })],
    ['another value’s signature', signedRecordHeaders('{}', { name: 'crm', secret: SECRET })],
    ['a truncated signature', { [PUBLISHER_HEADER]: 'crm', [SIGNATURE_HEADER]: 'sha256=00' }],
  ])('refuses a record with %s as unauthenticated', (_, headers) => {
    const error = refusal({ value, headers });
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error.code).toBe('unauthenticated');
  });
});
