import { describe, expect, it } from 'vitest';
import { parseCidr } from './cidr.js';

describe('parseCidr', () => {
  it.each([
    ['10.1.2.3/8', { family: 4, network: '10.0.0.0', prefix: 8 }],
    ['0.0.0.0/0', { family: 4, network: '0.0.0.0', prefix: 0 }],
    ['192.0.2.255/25', { family: 4, network: '192.0.2.128', prefix: 25 }],
    ['198.51.100.7', { family: 4, network: '198.51.100.7', prefix: 32 }],
    ['::/0', { family: 6, network: '0:0:0:0:0:0:0:0', prefix: 0 }],
    ['::1', { family: 6, network: '0:0:0:0:0:0:0:1', prefix: 128 }],
    ['2001:db8:abcd::1/36', { family: 6, network: '2001:db8:a000:0:0:0:0:0', prefix: 36 }],
    ['::ffff:10.0.0.1/120', { family: 6, network: '0:0:0:0:0:ffff:a00:0', prefix: 120 }],
  ])('should parse %s', (text, expected) => {
    expect(parseCidr(text)).toEqual(expected);
  });

  it.each(['', '10.0.0.0/', '10.0.0.0/33', '10.0.0.0/08', '10.0.0/8', '::/129', 'fe80::1%eth0/64', 'x', '1.2.3.4/-1'])(
    'should reject %j',
    (text) => {
      expect(parseCidr(text)).toBeUndefined();
    },
  );
});
