import { randomBytes } from 'node:crypto';
import { openSecret, sealSecret } from './webhook-secrets';

describe('sealed webhook secrets', () => {
  const key = randomBytes(32);

  it('opens what it sealed, and seals the same secret differently each time', () => {
    const first = sealSecret(key, 'default', 'whsec_abc');
    const second = sealSecret(key, 'default', 'whsec_abc');
    expect(first).toMatch(/^enc:v1:[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain('whsec_abc');
    expect(openSecret(key, 'default', first)).toBe('whsec_abc');
  });

  it('does not open under another key, for another tenant, tampered with, or from plain text', () => {
    const sealed = sealSecret(key, 'default', 'whsec_abc');
    const refused = 'The webhook secret does not open with NOTIFICATIONS_SECRETS_KEY';
    expect(() => openSecret(randomBytes(32), 'default', sealed)).toThrow(refused);
    expect(() => openSecret(key, 'other', sealed)).toThrow(refused);
    const [iv, tag, text] = sealed.slice('enc:v1:'.length).split('.');
    const flipped = Buffer.from(text, 'base64url');
    flipped[0] ^= 1;
    expect(() => openSecret(key, 'default', `enc:v1:${iv}.${tag}.${flipped.toString('base64url')}`)).toThrow(
      refused,
    );
    expect(() => openSecret(key, 'default', 'whsec_plain')).toThrow('The webhook secret is not sealed');
  });
});
