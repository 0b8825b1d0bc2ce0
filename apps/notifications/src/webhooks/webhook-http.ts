import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type LookupFunction } from 'node:net';
import {
  canonicalAddress,
  describeRefusal,
  type DestinationAllowList,
  hostOf,
  refusedAddress,
  type RefusedDestination,
  refusedUrl,
} from '@app/http';
import { PermanentDeliveryError } from '../channels/channel';

/** A receiver's answer is read up to this much, then the connection is dropped: its body is not needed. */
export const RESPONSE_BODY_LIMIT = 64 * 1024;

/** The destination is one webhooks may not reach: refused before connecting, and never retried. */
export class DestinationRefusedError extends PermanentDeliveryError {
  readonly code = 'webhook_destination_refused';

  constructor(readonly refusal: RefusedDestination) {
    super(`Refused: ${describeRefusal(refusal)}`);
    this.name = 'DestinationRefusedError';
  }
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allow: DestinationAllowList;
}

/**
 * Resolves as Node would, then refuses the connection if any address the name resolves to is
 * internal. Checking here, on the addresses the socket will use, is what defeats DNS rebinding: a
 * name that was public at registration and points at 127.0.0.1 now is refused now.
 */
export function guardedLookup(
  allow: DestinationAllowList,
  resolve: typeof dnsLookup = dnsLookup,
): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const host = hostname.toLowerCase().replace(/\.+$/, '');
      for (const { address } of addresses) {
        const refusal = refusedAddress(host, address, allow);
        if (refusal) return callback(new DestinationRefusedError(refusal), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/**
 * POSTs and says which status the receiver answered. Redirects are not followed (a 3xx is an
 * answer like any other non-2xx), and at most RESPONSE_BODY_LIMIT bytes of the answer are read, so
 * a receiver streaming an endless body costs nothing.
 */
export function postWebhook(request: WebhookRequest): Promise<number> {
  const url = new URL(request.url);
  // An IP literal connects without a lookup, so it is judged here; a name is judged by the
  // addresses it resolves to when connecting (registration already refused `localhost` and the like).
  const literal = canonicalAddress(hostOf(url)) !== null;
  const scheme = url.protocol === 'http:' || url.protocol === 'https:';
  const refusal = literal || !scheme ? refusedUrl(url, request.allow) : null;
  if (refusal) return Promise.reject(new DestinationRefusedError(refusal));
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<number>((resolve, reject) => {
    const outgoing = send(
      url,
      {
        method: 'POST',
        headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
        lookup: guardedLookup(request.allow),
        signal: AbortSignal.timeout(request.timeoutMs),
      },
      (response) => {
        const status = response.statusCode ?? 0;
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > RESPONSE_BODY_LIMIT) {
            // Enough: the socket goes, whatever the receiver still meant to send.
            outgoing.destroy();
            resolve(status);
          }
        });
        response.on('end', () => resolve(status));
        response.on('error', (error) => (read > RESPONSE_BODY_LIMIT ? resolve(status) : reject(error)));
      },
    );
    outgoing.on('error', (error) => reject(error));
    outgoing.end(request.body);
  });
}

/** The host of a stored URL, for messages and views that must not show the whole URL. */
export function hostOfUrl(raw: string | null): string | null {
  if (!raw) return null;
  try {
    return hostOf(new URL(raw));
  } catch {
    return null;
  }
}
