import { type LookupAddress } from 'node:dns';
import { NOTHING_ALLOWED, parseDestinationAllowList } from '@app/http';
import { DestinationRefusedError, guardedLookup } from './webhook-http';

type Answer = { error: Error | null; address?: string; family?: number; all?: LookupAddress[] };

/** Runs the guard over a resolver that answers what a rebinding DNS server would. */
function lookUp(answer: LookupAddress[], all: boolean, allow = NOTHING_ALLOWED): Promise<Answer> {
  const resolver = ((_host: string, _options: unknown, callback: (e: null, a: LookupAddress[]) => void) =>
    callback(null, answer)) as never;
  return new Promise((resolve) =>
    guardedLookup(allow, resolver)('rebind.example', { all }, (error, address, family) =>
      resolve(
        all
          ? { error, all: address as unknown as LookupAddress[] }
          : { error, address: address as string, family: family as number },
      ),
    ),
  );
}

describe('the connect-time guard', () => {
  it('refuses a name that now resolves to an internal address, whichever answer Node asked for', async () => {
    for (const all of [false, true]) {
      const { error } = await lookUp([{ address: '127.0.0.1', family: 4 }], all);
      expect(error).toBeInstanceOf(DestinationRefusedError);
      expect(error?.message).toBe(
        'Refused: rebind.example (127.0.0.1) is a loopback destination, which webhooks may not reach unless allowed by configuration',
      );
    }
  });

  it('refuses when any of the addresses is internal, including IPv4-mapped IPv6 and metadata', async () => {
    const mixed = await lookUp(
      [
        { address: '93.184.216.34', family: 4 },
        { address: '::ffff:169.254.169.254', family: 6 },
      ],
      true,
    );
    expect((mixed.error as DestinationRefusedError).refusal).toMatchObject({
      kind: 'metadata',
      address: '169.254.169.254',
    });
  });

  it('passes public answers on in the shape Node asked for, and internal ones the operator allowed', async () => {
    expect(await lookUp([{ address: '93.184.216.34', family: 4 }], false)).toEqual({
      error: null,
      address: '93.184.216.34',
      family: 4,
    });
    expect(await lookUp([{ address: '2606:4700::1111', family: 6 }], true)).toEqual({
      error: null,
      all: [{ address: '2606:4700::1111', family: 6 }],
    });
    const allowed = await lookUp(
      [{ address: '10.1.2.3', family: 4 }],
      false,
      parseDestinationAllowList('10.0.0.0/8'),
    );
    expect(allowed).toEqual({ error: null, address: '10.1.2.3', family: 4 });
    const byName = await lookUp(
      [{ address: '10.1.2.3', family: 4 }],
      false,
      parseDestinationAllowList('rebind.example'),
    );
    expect(byName.error).toBeNull();
  });
});
