import {
  canonicalAddress,
  classifyAddress,
  describeRefusal,
  NOTHING_ALLOWED,
  parseDestinationAllowList,
  refusedAddress,
  refusedUrl,
} from './webhook-destination';

describe('webhook destinations', () => {
  it.each([
    // Loopback in every spelling a URL or a resolver can produce.
    ['http://127.0.0.1/', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://0x7f000001/', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://017700000001/', 'loopback'],
    ['http://127.255.255.254:8080/x', 'loopback'],
    ['http://[::1]/', 'loopback'],
    ['http://[0:0:0:0:0:0:0:1]/', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://[::ffff:7f00:1]/', 'loopback'],
    ['http://[64:ff9b::7f00:1]/', 'loopback'],
    ['http://[2002:7f00:1::]/', 'loopback'],
    ['http://localhost/', 'loopback'],
    ['http://LOCALHOST./', 'loopback'],
    ['http://api.localhost/', 'loopback'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://0/', 'unspecified'],
    ['http://[::]/', 'unspecified'],
    // Private, shared and link-local networks.
    ['http://10.0.0.1/', 'private'],
    ['http://172.16.5.4/', 'private'],
    ['http://172.31.255.255/', 'private'],
    ['http://192.168.1.1/', 'private'],
    ['http://[::ffff:10.1.2.3]/', 'private'],
    ['http://100.64.0.1/', 'shared'],
    ['http://169.254.1.1/', 'link_local'],
    ['http://[fe80::1]/', 'link_local'],
    ['http://[fd00::1]/', 'unique_local'],
    ['http://[fc00::1]/', 'unique_local'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://[ff02::1]/', 'multicast'],
    ['http://255.255.255.255/', 'reserved'],
    ['http://192.0.2.10/', 'reserved'],
    ['http://[2001:db8::1]/', 'reserved'],
    // Cloud metadata, by address and by name.
    ['http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['http://0xa9fea9fe/', 'metadata'],
    ['http://[::ffff:169.254.169.254]/', 'metadata'],
    ['http://[fd00:ec2::254]/', 'metadata'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'metadata'],
    ['http://METADATA.google.internal./', 'metadata'],
    // Only http and https.
    ['ftp://example.com/', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['gopher://example.com/', 'scheme'],
  ])('refuses %s as %s', (url, kind) => {
    expect(refusedUrl(url, NOTHING_ALLOWED)?.kind).toBe(kind);
  });

  it.each([
    'https://hooks.example.com/ticketflow',
    'http://93.184.216.34/',
    'http://172.32.0.1/',
    'http://100.128.0.1/',
    'http://[2606:4700::1111]/',
    'http://[::ffff:8.8.8.8]/',
    'https://localhost.example.com/',
  ])('lets %s through', (url) => {
    expect(refusedUrl(url, NOTHING_ALLOWED)).toBeNull();
  });

  it('classifies resolved addresses, including IPv4-mapped IPv6 ones', () => {
    expect(classifyAddress('::ffff:127.0.0.1')).toBe('loopback');
    expect(classifyAddress('::ffff:192.168.0.10')).toBe('private');
    expect(classifyAddress('8.8.8.8')).toBeNull();
    expect(canonicalAddress('::FFFF:7F00:0001')).toBe('127.0.0.1');
    expect(canonicalAddress('fd00:0ec2:0:0:0:0:0:0254')).toBe('fd00:ec2::254');
    expect(canonicalAddress('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalAddress('not-an-ip')).toBeNull();
  });

  it('opens exactly what the allow-list names', () => {
    const allow = parseDestinationAllowList(' receiver.internal , 127.0.0.0/8,fd00::/8, 169.254.0.0/16 ');
    expect(refusedUrl('http://127.0.0.1:9000/hook', allow)).toBeNull();
    expect(refusedUrl('http://[::ffff:127.0.0.1]/', allow)).toBeNull();
    expect(refusedUrl('http://[fd00::5]/', allow)).toBeNull();
    expect(refusedAddress('receiver.internal', '10.9.9.9', allow)).toBeNull();
    expect(refusedAddress('other.example', '10.9.9.9', allow)).toMatchObject({
      kind: 'private',
      host: 'other.example',
      address: '10.9.9.9',
    });
    // A range never opens the metadata service; naming the address alone does.
    expect(refusedUrl('http://169.254.169.254/', allow)?.kind).toBe('metadata');
    expect(refusedUrl('http://[fd00:ec2::254]/', allow)?.kind).toBe('metadata');
    expect(refusedUrl('http://169.254.169.254/', parseDestinationAllowList('169.254.169.254'))).toBeNull();
    // localhost is a name: allowing 127.0.0.0/8 does not open it at registration, naming it does.
    expect(refusedUrl('http://localhost/', allow)?.kind).toBe('loopback');
    expect(refusedUrl('http://localhost/', parseDestinationAllowList('localhost'))).toBeNull();
  });

  it('rejects allow-list entries it cannot read, naming the entry', () => {
    expect(() => parseDestinationAllowList('10.0.0.0/33')).toThrow('entry 1: prefix must be 0 to 32');
    expect(() => parseDestinationAllowList('ok.example,http://x/')).toThrow(
      'entry 2 must be a host name, an IP address or a CIDR range',
    );
    expect(() => parseDestinationAllowList('host.example/8')).toThrow('entry 1');
  });

  it('describes a refusal by host, never by the whole URL', () => {
    const refusal = refusedAddress('hooks.example.com', '127.0.0.1', NOTHING_ALLOWED)!;
    expect(describeRefusal(refusal)).toBe(
      'hooks.example.com (127.0.0.1) is a loopback destination, which webhooks may not reach unless allowed by configuration',
    );
  });
});
