// Community ID flow hash, version 1 (https://github.com/corelight/community-id-spec), as Zeek and
// Suricata write it: "1:" + base64(sha1(seed, ordered addresses, protocol, 0, ordered ports)).
import { createHash } from 'node:crypto';
import { IpProtocol } from '../decode/packet-view.js';

const PORTED = new Set<number>([IpProtocol.Tcp, IpProtocol.Udp, IpProtocol.Sctp, IpProtocol.Icmp, IpProtocol.Icmpv6]);

// ICMP types with a counterpart: the counterpart is the "destination port", both directions hash alike.
const ICMP4_PAIRS = new Map<number, number>([
  [8, 0],
  [0, 8],
  [13, 14],
  [14, 13],
  [15, 16],
  [16, 15],
  [10, 9],
  [9, 10],
  [17, 18],
  [18, 17],
]);
const ICMP6_PAIRS = new Map<number, number>([
  [128, 129],
  [129, 128],
  [133, 134],
  [134, 133],
  [135, 136],
  [136, 135],
  [130, 131],
  [131, 130],
  [139, 140],
  [140, 139],
  [144, 145],
  [145, 144],
]);

/** ICMP (type, code) as Community ID's ports: [sport, dport, oneWay]. */
export function icmpPorts(protocol: number, type: number, code: number): [number, number, boolean] {
  const pairs = protocol === IpProtocol.Icmp ? ICMP4_PAIRS : ICMP6_PAIRS;
  const other = pairs.get(type);
  return other === undefined ? [type, code, true] : [type, other, false];
}

/** Addresses as 4 or 16 network-order bytes; for ICMP pass the type as sport and the code as dport. */
export function communityId(
  protocol: number,
  src: Buffer,
  dst: Buffer,
  sport: number,
  dport: number,
  seed = 0,
): string {
  let oneWay = false;
  if (protocol === IpProtocol.Icmp || protocol === IpProtocol.Icmpv6)
    [sport, dport, oneWay] = icmpPorts(protocol, sport, dport);
  const order = Buffer.compare(src, dst);
  if (!oneWay && (order > 0 || (order === 0 && sport > dport))) {
    [src, dst] = [dst, src];
    [sport, dport] = [dport, sport];
  }
  const hash = createHash('sha1');
  const head = Buffer.alloc(2);
  head.writeUInt16BE(seed);
  hash.update(head).update(src).update(dst);
  const tail = Buffer.alloc(PORTED.has(protocol) ? 6 : 2);
  tail[0] = protocol;
  if (tail.length === 6) {
    tail.writeUInt16BE(sport, 2);
    tail.writeUInt16BE(dport, 4);
  }
  hash.update(tail);
  return `1:${hash.digest('base64')}`;
}
