// Test helper: builds frames (Ethernet, Linux cooked v1/v2, raw IP, VLAN) carrying IPv4/IPv6 with TCP or
// UDP, so tests can craft exact captures (reordering, retransmissions, gaps, resets) and check the engine.
export interface Endpoint {
  readonly ip: string;
  readonly port: number;
}

export interface TcpSegment {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly seq: number;
  readonly ack?: number;
  readonly flags: string; // letters of S A F R P
  readonly payload?: Buffer | string;
  readonly window?: number;
}

function ipBytes(ip: string): Buffer {
  if (!ip.includes(':')) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

const FLAG_BITS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32 };

export function tcpHeader(s: TcpSegment): Buffer {
  const payload = typeof s.payload === 'string' ? Buffer.from(s.payload) : (s.payload ?? Buffer.alloc(0));
  const h = Buffer.alloc(20);
  h.writeUInt16BE(s.from.port, 0);
  h.writeUInt16BE(s.to.port, 2);
  h.writeUInt32BE(s.seq >>> 0, 4);
  h.writeUInt32BE((s.ack ?? 0) >>> 0, 8);
  h[12] = 5 << 4;
  h[13] = [...s.flags].reduce((acc, c) => acc | (FLAG_BITS[c] ?? 0), 0);
  h.writeUInt16BE(s.window ?? 65535, 14);
  return Buffer.concat([h, payload]);
}

export function udpDatagram(from: Endpoint, to: Endpoint, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(from.port, 0);
  h.writeUInt16BE(to.port, 2);
  h.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([h, payload]);
}

export interface IpOptions {
  readonly id?: number;
  /** Fragment offset in bytes (multiple of 8) and more-fragments flag. */
  readonly fragmentOffset?: number;
  readonly moreFragments?: boolean;
}

export function ipPacket(src: string, dst: string, protocol: number, body: Buffer, options: IpOptions = {}): Buffer {
  const s = ipBytes(src);
  const d = ipBytes(dst);
  if (s.length === 4) {
    const h = Buffer.alloc(20);
    h[0] = 0x45;
    h.writeUInt16BE(20 + body.length, 2);
    h.writeUInt16BE(options.id ?? 1, 4);
    h.writeUInt16BE(((options.fragmentOffset ?? 0) >> 3) | (options.moreFragments ? 0x2000 : 0), 6);
    h[8] = 64;
    h[9] = protocol;
    s.copy(h, 12);
    d.copy(h, 16);
    return Buffer.concat([h, body]);
  }
  const h = Buffer.alloc(40);
  h.writeUInt32BE(0x60000000, 0);
  h.writeUInt16BE(body.length, 4);
  h[6] = protocol;
  h[7] = 64;
  s.copy(h, 8);
  d.copy(h, 24);
  return Buffer.concat([h, body]);
}

export function ethernet(ip: Buffer, vlan?: number): Buffer {
  const v6 = (ip[0] ?? 0) >> 4 === 6;
  const type = Buffer.alloc(2);
  type.writeUInt16BE(v6 ? 0x86dd : 0x0800);
  const macs = Buffer.from('020000000002020000000001', 'hex');
  if (vlan === undefined) return Buffer.concat([macs, type, ip]);
  const tag = Buffer.alloc(4);
  tag.writeUInt16BE(0x8100, 0);
  tag.writeUInt16BE(vlan, 2);
  return Buffer.concat([macs, tag, type, ip]);
}

export function linuxSll(ip: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(4, 0); // sent by us
  h.writeUInt16BE(1, 2);
  h.writeUInt16BE(6, 4);
  h.writeUInt16BE((ip[0] ?? 0) >> 4 === 6 ? 0x86dd : 0x0800, 14);
  return Buffer.concat([h, ip]);
}

export function linuxSll2(ip: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE((ip[0] ?? 0) >> 4 === 6 ? 0x86dd : 0x0800, 0);
  h.writeUInt32BE(2, 4); // interface index
  h.writeUInt16BE(1, 8);
  h[10] = 0;
  h[11] = 6;
  return Buffer.concat([h, ip]);
}

/** An Ethernet frame with a TCP segment. */
export function tcpFrame(s: TcpSegment): Buffer {
  return ethernet(ipPacket(s.from.ip, s.to.ip, 6, tcpHeader(s)));
}

export function udpFrame(from: Endpoint, to: Endpoint, payload: Buffer): Buffer {
  return ethernet(ipPacket(from.ip, to.ip, 17, udpDatagram(from, to, payload)));
}
