import { describe, expect, it } from 'vitest';
import { FilterError } from './capture-error.js';
import { buildFilter, FILTER_LIMITS } from './filter.js';
import type { IncludeEntry } from './filter.js';

const any4 = { sourceCIDR: '0.0.0.0/0', destinationCIDR: '0.0.0.0/0' };
const any6 = { sourceCIDR: '::/0', destinationCIDR: '::/0' };

describe('buildFilter', () => {
  it.each<[string, IncludeEntry, string]>([
    ['any IPv4 packet', { ...any4 }, '((ip))'],
    ['any IPv6 packet', { ...any6 }, '((ip6))'],
    [
      'TCP to 10.0.0.0/8 port 443',
      { ...any4, destinationCIDR: '10.0.0.0/8', destinationPort: 443, protocol: 'TCP' },
      '((ip and dst net 10.0.0.0/8 and tcp and dst port 443))',
    ],
    [
      'host bits cleared like net.ParseCIDR',
      { ...any4, sourceCIDR: '10.1.2.3/16', protocol: 'UDP' },
      '((ip and src net 10.1.0.0/16 and udp))',
    ],
    ['a bare address as one host', { ...any4, sourceCIDR: '192.0.2.7' }, '((ip and src net 192.0.2.7/32))'],
    [
      'IPv6 prefixes',
      { sourceCIDR: '2001:db8::1/32', destinationCIDR: 'fd00::/8', sourcePort: 53, protocol: 'UDP' },
      '((ip6 and src net 2001:db8:0:0:0:0:0:0/32 and dst net fd00:0:0:0:0:0:0:0/8 and udp and src port 53))',
    ],
    ['ICMP for IPv4', { ...any4, protocol: 'ICMP' }, '((ip and icmp))'],
    ['ICMPv6 for IPv6', { ...any6, protocol: 'ICMP' }, '((ip6 and icmp6))'],
    ['SCTP', { ...any6, destinationPort: 38412, protocol: 'SCTP' }, '((ip6 and sctp and dst port 38412))'],
    [
      'ANY with ports (TCP, UDP or SCTP ports)',
      { ...any4, sourcePort: 1, destinationPort: 2 },
      '((ip and src port 1 and dst port 2))',
    ],
    ['port 0 meaning any port', { ...any4, sourcePort: 0, destinationPort: 0, protocol: 'TCP' }, '((ip and tcp))'],
    ['an empty protocol meaning ANY', { ...any4, protocol: '' }, '((ip))'],
  ])('should build %s', (_name, entry, expected) => {
    expect(buildFilter({ include: [entry] })).toBe(expected);
  });

  it('should keep a packet matching any entry', () => {
    const include = [
      { ...any4, destinationPort: 53, protocol: 'UDP' },
      { ...any6, destinationPort: 443, protocol: 'TCP' },
    ];
    expect(buildFilter({ include })).toBe('((ip and udp and dst port 53) or (ip6 and tcp and dst port 443))');
  });

  it.each([
    [{ include: [] }, ''],
    [{}, ''],
    [{ bpf: 'udp port 53' }, '(udp port 53)'],
    [{ bpf: '  vlan and tcp  ' }, '(vlan and tcp)'],
    [
      { include: [{ ...any4, protocol: 'TCP' }], bpf: 'port 80 or port 8080' },
      '((ip and tcp)) and (port 80 or port 8080)',
    ],
  ])('should AND the user expression in parentheses: %j', (spec, expected) => {
    expect(buildFilter(spec)).toBe(expected);
  });

  it.each<[string, IncludeEntry, string, RegExp]>([
    ['a bad CIDR', { ...any4, sourceCIDR: '10.0.0.0/33' }, 'include[0].sourceCIDR', /not a valid CIDR/],
    ['a garbage CIDR', { ...any4, destinationCIDR: 'ten.0.0.0/8' }, 'include[0].destinationCIDR', /not a valid CIDR/],
    ['an empty CIDR', { ...any4, sourceCIDR: '' }, 'include[0].sourceCIDR', /is required/],
    ['a zoned IPv6 address', { ...any6, sourceCIDR: 'fe80::1%eth0' }, 'include[0].sourceCIDR', /not a valid CIDR/],
    ['a shell string as CIDR', { ...any4, sourceCIDR: '1.2.3.4/8; rm -rf /' }, 'include[0].sourceCIDR', /not a valid/],
    ['port 70000', { ...any4, destinationPort: 70000 }, 'include[0].destinationPort', /not a port/],
    ['a negative port', { ...any4, sourcePort: -1 }, 'include[0].sourcePort', /not a port/],
    ['a fractional port', { ...any4, sourcePort: 1.5 }, 'include[0].sourcePort', /not a port/],
    ['an unknown protocol', { ...any4, protocol: 'GRE' }, 'include[0].protocol', /unknown protocol "GRE"/],
    ['a lower-case protocol', { ...any4, protocol: 'tcp' }, 'include[0].protocol', /unknown protocol/],
    [
      'mixed IP families',
      { sourceCIDR: '0.0.0.0/0', destinationCIDR: '::/0' },
      'include[0].destinationCIDR',
      /same IP family/,
    ],
    ['ICMP with a port', { ...any4, protocol: 'ICMP', destinationPort: 7 }, 'include[0].protocol', /ICMP has no ports/],
  ])('should reject %s naming the field', (_name, entry, field, message) => {
    const err = catchError(() => buildFilter({ include: [{ ...any4 }, entry] }));
    expect(err).toBeInstanceOf(FilterError);
    expect(err).toMatchObject({ code: 'TD_ERR_CAPTURE_FILTER', field: field.replace('[0]', '[1]') });
    expect((err as Error).message).toMatch(message);
  });

  it.each([
    ['a syntax error', 'udp and prot 53', /invalid pcap-filter expression: syntax error/],
    ['shell metacharacters', 'udp; rm -rf / #', /invalid pcap-filter expression/],
    ['command substitution', '$(reboot)', /invalid pcap-filter expression/],
    ['a leading dash', '-w /tmp/x', /must not start with "-"/],
    ['a leading dash after spaces', '  --version', /must not start with "-"/],
    ['control characters', 'udp\u0007', /control characters/],
    ['an expression that is too long', `udp${' '.repeat(FILTER_LIMITS.maxBpfLength)}`, /longer than 4096/],
  ])('should reject a user expression with %s', (_name, bpf, message) => {
    const err = catchError(() => buildFilter({ bpf }));
    expect(err).toMatchObject({ code: 'TD_ERR_CAPTURE_FILTER', field: 'bpf' });
    expect((err as Error).message).toMatch(message);
  });

  it('should reject more include entries than the limit', () => {
    const include = Array.from({ length: FILTER_LIMITS.maxIncludeEntries + 1 }, () => ({ ...any4 }));
    expect(catchError(() => buildFilter({ include }))).toMatchObject({ field: 'include' });
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
