import { bearer, type TEST_API_KEYS } from '@app/testing';
import { type ServiceName } from '../e2e/support/service-process';
import { type Cluster } from './cluster';

export type Key = keyof typeof TEST_API_KEYS;

/**
 * What became of a request: `applied` (2xx), `refused` (a 4xx the run must look at), or `unknown`:
 * the request may have reached the service and then the answer was lost. A request the run may
 * repeat (it carries its own idempotency: an externalId, a Message-ID, a chat message id) is
 * repeated until it is applied; any other is repeated only when it cannot have arrived.
 */
export type Outcome<T> =
  | { kind: 'applied'; status: number; body: T }
  | { kind: 'refused'; status: number; body: unknown }
  | { kind: 'unknown'; reason: string };

export interface RequestOptions {
  key?: Key;
  repeatable?: boolean;
  contentType?: string;
  /** How long a repeatable request keeps trying through an outage. */
  patienceMs?: number;
}

const REQUEST_TIMEOUT_MS = 15_000;

/** A connection that was never accepted cannot have delivered the request. */
function neverArrived(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code === 'ECONNREFUSED';
}

export class ChaosHttp {
  private turn = 0;
  /** Counts of what the run's requests met, for the report. */
  readonly met = { retried: 0, unknown: 0, refused: 0 };

  constructor(private readonly cluster: Cluster) {}

  async request<T = Record<string, unknown>>(
    service: ServiceName,
    method: string,
    path: string,
    body?: unknown,
    {
      key = 'admin',
      repeatable = false,
      contentType = 'application/json',
      patienceMs = 240_000,
    }: RequestOptions = {},
  ): Promise<Outcome<T>> {
    const deadline = Date.now() + patienceMs;
    for (let attempt = 1; ; attempt++) {
      const base = this.cluster.url(service, this.turn++);
      let failure: string;
      let arrivedMaybe = true;
      if (base === undefined) {
        failure = `no ${service} replica running`;
        arrivedMaybe = false;
      } else {
        try {
          const response = await fetch(`${base}${path}`, {
            method,
            headers: { authorization: bearer(key), 'content-type': contentType },
            body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          });
          const text = await response.text();
          const parsed = text ? (JSON.parse(text) as unknown) : undefined;
          if (response.ok) return { kind: 'applied', status: response.status, body: parsed as T };
          // 429 and 5xx are the service's trouble, not the request's: an outage in progress.
          if (response.status < 500 && response.status !== 429) {
            this.met.refused++;
            return { kind: 'refused', status: response.status, body: parsed };
          }
          failure = `${response.status} ${text.slice(0, 200)}`;
          // A 503 from readiness-style refusals may still have committed nothing; only repeatable
          // requests are sent again, so this stays safe either way.
        } catch (error) {
          failure = String((error as { cause?: unknown }).cause ?? error);
          arrivedMaybe = !neverArrived(error);
        }
      }
      if ((!repeatable && arrivedMaybe) || Date.now() > deadline) {
        this.met.unknown++;
        return { kind: 'unknown', reason: `${method} ${service} ${path}: ${failure}` };
      }
      this.met.retried++;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * attempt)));
    }
  }

  /** A request the setup cannot do without: anything but `applied` ends the run. */
  async must<T = Record<string, unknown>>(
    service: ServiceName,
    method: string,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<T> {
    const outcome = await this.request<T>(service, method, path, body, { repeatable: true, ...options });
    if (outcome.kind !== 'applied') {
      throw new Error(`${method} ${service} ${path} failed: ${JSON.stringify(outcome).slice(0, 800)}`);
    }
    return outcome.body;
  }
}
