import { describe, expect, it } from 'vitest';
import { FilterError } from './capture-error.js';
import { LinkType } from './compile-filter.js';
import { MAX_ENDPOINT_IPS } from './endpoint-filter.js';
import { buildFilter } from './filter.js';

function addresses(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.7`);
}

function refusal(ips: readonly string[]): FilterError {
  try {
    buildFilter({ endpointIps: ips });
  } catch (error) {
    if (error instanceof FilterError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('endpoint addresses in buildFilter', () => {
  it('should AND the addresses, grouped by family, with include and bpf', () => {
    const expression = buildFilter({
      include: [{ sourceCIDR: '0.0.0.0/0', destinationCIDR: '0.0.0.0/0', protocol: 'UDP' }],
      bpf: 'not port 53',
      endpointIps: ['10.0.0.1', '2001:DB8::1', '10.0.0.2'],
    });
    expect(expression).toBe(
      '((ip and udp)) and ((ip and (host 10.0.0.1 or host 10.0.0.2)) or (ip6 and (host 2001:db8::1))) and (not port 53)',
    );
  });

  it.each([250, MAX_ENDPOINT_IPS])('should compile %i IPv4 addresses for every link type', (count) => {
    for (const linkType of Object.values(LinkType)) {
      expect(buildFilter({ endpointIps: addresses(count) }, { linkType, snaplen: 262_144 })).toContain('host 10.');
    }
  });

  it.each([
    [['10.0.0.1', '10.0.0.0/24'], 'endpointIps[1]', 'is not an IPv4 or IPv6 address'],
    [['fe80::1%eth0'], 'endpointIps[0]', 'is not an IPv4 or IPv6 address'],
    [['host 1.2.3.4 or 1'], 'endpointIps[0]', 'is not an IPv4 or IPv6 address'],
    [addresses(MAX_ENDPOINT_IPS + 1), 'endpointIps', `at most ${MAX_ENDPOINT_IPS} are allowed`],
  ])('should refuse %j naming %s', (ips, field, message) => {
    const error = refusal(ips);
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });

  it('should refuse a list that compiles past the kernel limit, naming endpointIps', () => {
    const v6 = Array.from({ length: MAX_ENDPOINT_IPS }, (_, i) => `2001:db8::${i.toString(16)}`);
    const error = refusal(v6);
    expect(error.field).toBe('endpointIps');
    expect(error.message).toMatch(/compiles to \d+ BPF instructions, more than the kernel's 4096/);
  });
});
