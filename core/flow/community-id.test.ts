import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { communityId } from './community-id.js';

function bytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const url = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const [head = '', tail = ''] = url.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = url.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return Buffer.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 255]));
}

// Test vectors of the Community ID specification (its README and baseline), also used by Zeek's and
// Elasticsearch's implementations.
describe('communityId', () => {
  it.each([
    [6, '128.232.110.120', '66.35.250.204', 34855, 80, '1:LQU9qZlK+B5F3KDmev6m5PMibrg='],
    [6, '66.35.250.204', '128.232.110.120', 80, 34855, '1:LQU9qZlK+B5F3KDmev6m5PMibrg='],
    [17, '192.168.1.52', '8.8.8.8', 54585, 53, '1:d/FP5EW3wiY1vCndhwleRRKHowQ='],
    [132, '192.168.170.8', '192.168.170.56', 7, 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs='],
    [1, '192.168.0.89', '192.168.0.1', 8, 0, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk='],
    [58, 'fe80::260:97ff:fe07:69ea', 'ff02::1', 134, 0, '1:pkvHqCL88/tg1k4cPigmZXUtL00='],
    [
      6,
      '2001:470:e5bf:dead:4957:2174:e82c:4887',
      '2607:f8b0:400c:c03::1a',
      63943,
      25,
      '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=',
    ],
  ])('should hash protocol %i %s -> %s as the specification does', (proto, src, dst, sport, dport, expected) => {
    expect(communityId(proto, bytes(src), bytes(dst), sport, dport)).toBe(expected);
  });

  it('should give an ICMP echo reply the hash of its request', () => {
    const request = communityId(1, bytes('192.168.0.89'), bytes('192.168.0.1'), 8, 0);
    expect(communityId(1, bytes('192.168.0.1'), bytes('192.168.0.89'), 0, 0)).toBe(request);
  });
});
