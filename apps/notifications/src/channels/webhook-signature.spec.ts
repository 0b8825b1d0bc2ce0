import { signPayload, verifySignature } from './webhook-signature';

describe('webhook signatures', () => {
  const secret = 'whsec_0123456789abcdef';
  const body = JSON.stringify({ type: 'sla.breached', data: { ticketId: 'x' } });
  const at = new Date('2026-11-28T10:00:00Z');

  it('signs the timestamp and body so a receiver holding the secret can verify them', () => {
    const header = signPayload(secret, body, at);
    expect(header).toMatch(/^t=1795860000,v1=[0-9a-f]{64}$/);
    expect(verifySignature(secret, body, header, 300, at)).toBe(true);
  });

  it('rejects another secret, a changed body, a stale timestamp and a malformed header', () => {
    const header = signPayload(secret, body, at);
    expect(verifySignature('another-secret-value', body, header, 300, at)).toBe(false);
    expect(verifySignature(secret, body.replace('breached', 'met'), header, 300, at)).toBe(false);
    expect(verifySignature(secret, body, header, 300, new Date(at.getTime() + 301_000))).toBe(false);
    expect(verifySignature(secret, body, 'v1=abc', 300, at)).toBe(false);
    expect(verifySignature(secret, body, header.replace(/v1=../, 'v1=zz'), 300, at)).toBe(false);
  });
});
