import { isIP } from 'node:net';

/**
 * Where outgoing webhooks may go. A URL a tenant registers is fetched from inside the deployment,
 * so without this an admin could make the service call its own network: loopback, private ranges,
 * link-local and the cloud metadata endpoints that hand out credentials (SSRF). The same rules are
 * applied to the URL when it is registered and to every address its name resolves to when a
 * delivery connects, so a DNS answer that changes after registration (rebinding) does not help.
 */

/** Why a destination is refused; `null` from the classifiers means it is a public address. */
export type RefusedKind =
  | 'scheme'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link_local'
  | 'unique_local'
  | 'unspecified'
  | 'multicast'
  | 'reserved'
  | 'metadata'
  | 'internal_name';

interface Range {
  base: bigint;
  bits: number;
  kind: RefusedKind;
}

/** Cloud metadata services: refused even when an allowed range covers them, unless named alone. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200']);
const METADATA_NAMES = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

const V4_RANGES: Array<[string, number, RefusedKind]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link_local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const V6_RANGES: Array<[string, number, RefusedKind]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  // IPv4-compatible addresses (deprecated); IPv4-mapped ones are unwrapped before this table.
  ['::', 96, 'reserved'],
  ['64:ff9b:1::', 48, 'reserved'],
  ['100::', 64, 'reserved'],
  ['2001:db8::', 32, 'reserved'],
  ['fc00::', 7, 'unique_local'],
  ['fe80::', 10, 'link_local'],
  ['fec0::', 10, 'reserved'],
  ['ff00::', 8, 'multicast'],
];

function v4ToBigInt(address: string): bigint {
  return address.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

function bigIntToV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** An IPv6 address as 128 bits; handles `::` and a trailing dotted IPv4 part. */
function v6ToBigInt(address: string): bigint {
  let text = address.toLowerCase().split('%')[0];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = v4ToBigInt(dotted[1]);
    text = `${text.slice(0, -dotted[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups =
    tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups.reduce((value: bigint, group: string) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}

const toRanges = (table: Array<[string, number, RefusedKind]>, parse: (a: string) => bigint): Range[] =>
  table.map(([base, bits, kind]) => ({ base: parse(base), bits, kind }));

const V4 = toRanges(V4_RANGES, v4ToBigInt);
const V6 = toRanges(V6_RANGES, v6ToBigInt);

const inRange = (value: bigint, width: number, range: Range) =>
  value >> BigInt(width - range.bits) === range.base >> BigInt(width - range.bits);

/**
 * The IPv4 address an IPv6 one stands for, where the network would deliver it to IPv4: mapped
 * (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`).
 */
function embeddedV4(value: bigint): string | null {
  if (value >> 32n === 0xffffn) return bigIntToV4(value & 0xffffffffn);
  if (value >> 32n === 0x64ff9b0000000000000000n) return bigIntToV4(value & 0xffffffffn);
  if (value >> 112n === 0x2002n) return bigIntToV4((value >> 80n) & 0xffffffffn);
  return null;
}

/** The canonical text of an IP address (IPv4-mapped IPv6 as the IPv4 it maps), or null if not an IP. */
export function canonicalAddress(address: string): string | null {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare.split('%')[0]);
  if (family === 4) return bigIntToV4(v4ToBigInt(bare));
  if (family !== 6) return null;
  const value = v6ToBigInt(bare);
  if (value >> 32n === 0xffffn) return bigIntToV4(value & 0xffffffffn);
  return compressV6(Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn)));
}

/** RFC 5952 text: the longest run of two or more zero groups becomes `::`. */
function compressV6(groups: number[]): string {
  let best = { start: -1, length: 1 };
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length++;
    if (length > best.length) best = { start, length };
  }
  const hex = groups.map((group) => group.toString(16));
  if (best.start < 0) return hex.join(':');
  const head = hex.slice(0, best.start).join(':');
  const tail = hex.slice(best.start + best.length).join(':');
  return `${head}::${tail}`;
}

/** Why an IP address (any spelling Node resolves or a URL carries) is not public, or null. */
export function classifyAddress(address: string): RefusedKind | null {
  const canonical = canonicalAddress(address);
  if (canonical === null) return 'reserved';
  if (METADATA_ADDRESSES.has(canonical)) return 'metadata';
  if (isIP(canonical) === 4)
    return V4.find((range) => inRange(v4ToBigInt(canonical), 32, range))?.kind ?? null;
  const value = v6ToBigInt(canonical);
  const v4 = embeddedV4(value);
  if (v4 !== null) return classifyAddress(v4);
  return V6.find((range) => inRange(value, 128, range))?.kind ?? null;
}

/** Names that always mean this host or its cloud, whatever DNS says. */
function classifyName(hostname: string): RefusedKind | null {
  if (METADATA_NAMES.has(hostname)) return 'metadata';
  if (hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === 'localhost.localdomain')
    return 'loopback';
  return null;
}

/** A URL's host as a bare lowercase name or address: no brackets, no trailing dot. */
export function hostOf(url: URL): string {
  return url.hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.+$/, '');
}

/**
 * Destinations an operator opened on purpose (self-hosted receivers, tests): exact host names and
 * CIDR ranges. A range never opens a metadata address; an entry naming that address alone does.
 */
export interface DestinationAllowList {
  hosts: ReadonlySet<string>;
  ranges: ReadonlyArray<{ base: bigint; bits: number; family: 4 | 6; single: boolean }>;
}

export const NOTHING_ALLOWED: DestinationAllowList = { hosts: new Set(), ranges: [] };

/**
 * Parses `host,10.0.0.0/8,::1/128,...`. Errors name the entry by position. A bare address is a
 * range of one.
 */
export function parseDestinationAllowList(raw: string | undefined): DestinationAllowList {
  const hosts = new Set<string>();
  const ranges: Array<DestinationAllowList['ranges'][number]> = [];
  (raw ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .forEach((entry, index) => {
      if (!entry) return;
      const [address, prefix, ...rest] = entry.split('/');
      const family = isIP(address);
      if (family === 0) {
        if (prefix !== undefined || !/^[a-z0-9.-]+$/i.test(entry))
          throw new Error(`entry ${index + 1} must be a host name, an IP address or a CIDR range`);
        hosts.add(entry.toLowerCase().replace(/\.+$/, ''));
        return;
      }
      const width = family === 4 ? 32 : 128;
      const bits = prefix === undefined ? width : Number(prefix);
      if (rest.length > 0 || !Number.isInteger(bits) || bits < 0 || bits > width || prefix === '')
        throw new Error(`entry ${index + 1}: prefix must be 0 to ${width}`);
      const canonical = canonicalAddress(address)!;
      const base = family === 4 || isIP(canonical) === 4 ? v4ToBigInt(canonical) : v6ToBigInt(canonical);
      ranges.push({ base, bits, family: isIP(canonical) === 4 ? 4 : 6, single: bits === width });
    });
  return { hosts, ranges };
}

function addressAllowed(canonical: string, kind: RefusedKind, allow: DestinationAllowList): boolean {
  const family = isIP(canonical) === 4 ? 4 : 6;
  const value = family === 4 ? v4ToBigInt(canonical) : v6ToBigInt(canonical);
  const width = family === 4 ? 32 : 128;
  return allow.ranges.some(
    (range) =>
      range.family === family &&
      (kind !== 'metadata' || range.single) &&
      inRange(value, width, { base: range.base, bits: range.bits, kind }),
  );
}

/** A refused destination: what kind, and the host, never the whole URL (its path may be a secret). */
export interface RefusedDestination {
  kind: RefusedKind;
  host: string;
  /** The resolved address that was refused, when the host is a name. */
  address?: string;
}

export function describeRefusal(refusal: RefusedDestination): string {
  const what = refusal.kind.replace('_', '-');
  const where = refusal.address ? `${refusal.host} (${refusal.address})` : refusal.host;
  return refusal.kind === 'scheme'
    ? 'only http and https URLs may receive webhooks'
    : `${where} is a ${what} destination, which webhooks may not reach unless allowed by configuration`;
}

/**
 * Checks a URL before it is stored or called: the scheme, names that always mean this host or its
 * cloud, and IP literals in any spelling (the URL parser already turns `127.1` or `0x7f000001`
 * into `127.0.0.1`). Names that resolve somewhere internal are caught when connecting.
 */
export function refusedUrl(raw: string | URL, allow: DestinationAllowList): RefusedDestination | null {
  let url: URL;
  try {
    url = typeof raw === 'string' ? new URL(raw) : raw;
  } catch {
    return { kind: 'scheme', host: '' };
  }
  const host = hostOf(url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { kind: 'scheme', host };
  if (allow.hosts.has(host)) return null;
  const canonical = canonicalAddress(host);
  if (canonical !== null) return refusedAddress(host, canonical, allow);
  const kind = classifyName(host);
  return kind ? { kind, host } : null;
}

/** Checks an address a host name resolved to, at connect time. */
export function refusedAddress(
  host: string,
  address: string,
  allow: DestinationAllowList,
): RefusedDestination | null {
  if (allow.hosts.has(host)) return null;
  const canonical = canonicalAddress(address);
  const kind = classifyAddress(address);
  if (kind === null || (canonical !== null && addressAllowed(canonical, kind, allow))) return null;
  return { kind, host, ...(canonical !== host ? { address: canonical ?? address } : {}) };
}
