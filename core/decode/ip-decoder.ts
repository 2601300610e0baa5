// Decodes IPv4 / IPv6 (extension headers, fragments) and the TCP, UDP, ICMP or SCTP header into a
// reused PacketView. Lengths come from the IP headers (Ethernet padding is ignored); payload bytes the
// snaplen cut off are counted as on the wire but not captured.
import { u16be, u32be } from './bytes.js';
import { FragmentReassembler } from './ip-fragments.js';
import { EtherType } from './link-layer.js';
import { Family, IpProtocol, type PacketView } from './packet-view.js';

export const DecodeStatus = { Ok: 0, NotIp: 1, Malformed: 2, FragmentHeld: 3 } as const;
export type DecodeStatus = (typeof DecodeStatus)[keyof typeof DecodeStatus];

const IPV6_EXTENSIONS = new Set([0, 43, 60, 51]); // hop-by-hop, routing, destination options, AH
const IPV6_FRAGMENT = 44;

export class IpDecoder {
  readonly fragments = new FragmentReassembler();

  /** `end` is the end of the captured bytes. */
  decode(view: PacketView, buf: Buffer, offset: number, end: number, etherType: number): DecodeStatus {
    view.frames = 1;
    if (etherType === EtherType.Ipv4) return this.ipv4(view, buf, offset, end);
    if (etherType === EtherType.Ipv6) return this.ipv6(view, buf, offset, end);
    return DecodeStatus.NotIp;
  }

  private ipv4(view: PacketView, buf: Buffer, at: number, end: number): DecodeStatus {
    if (end - at < 20 || (buf[at] ?? 0) >> 4 !== 4) return DecodeStatus.Malformed;
    const headerLength = ((buf[at] ?? 0) & 15) * 4;
    let total = u16be(buf, at + 2);
    if (total === 0) total = end - at; // segmentation offload: the length field is left 0
    if (headerLength < 20 || total < headerLength || end - at < headerLength) return DecodeStatus.Malformed;
    view.family = Family.V4;
    view.protocol = buf[at + 9] ?? 0;
    view.src[0] = u32be(buf, at + 12);
    view.dst[0] = u32be(buf, at + 16);
    view.src[1] = view.src[2] = view.src[3] = 0;
    view.dst[1] = view.dst[2] = view.dst[3] = 0;
    const fragment = u16be(buf, at + 6);
    const capEnd = Math.min(end, at + total);
    if (fragment & 0x3fff) {
      const key = `4:${view.src[0]}:${view.dst[0]}:${view.protocol}:${u16be(buf, at + 4)}`;
      return this.fragment(
        view,
        key,
        (fragment & 0x1fff) * 8,
        (fragment & 0x2000) !== 0,
        buf,
        at + headerLength,
        capEnd,
      );
    }
    return transport(view, buf, at + headerLength, capEnd, at + total);
  }

  private ipv6(view: PacketView, buf: Buffer, at: number, end: number): DecodeStatus {
    if (end - at < 40 || (buf[at] ?? 0) >> 4 !== 6) return DecodeStatus.Malformed;
    view.family = Family.V6;
    for (let i = 0; i < 4; i++) {
      view.src[i] = u32be(buf, at + 8 + i * 4);
      view.dst[i] = u32be(buf, at + 24 + i * 4);
    }
    const wireEnd = at + 40 + u16be(buf, at + 4);
    const capEnd = Math.min(end, wireEnd);
    let next = buf[at + 6] ?? 0;
    let p = at + 40;
    for (let hops = 0; hops < 8; hops++) {
      if (next === IPV6_FRAGMENT) {
        if (capEnd - p < 8) return DecodeStatus.Malformed;
        view.protocol = buf[p] ?? 0;
        const field = u16be(buf, p + 2);
        const key = `6:${view.src.join(',')}:${view.dst.join(',')}:${view.protocol}:${u32be(buf, p + 4)}`;
        return this.fragment(view, key, field & 0xfff8, (field & 1) !== 0, buf, p + 8, capEnd);
      }
      if (!IPV6_EXTENSIONS.has(next)) break;
      if (capEnd - p < 8) return DecodeStatus.Malformed;
      const length = next === 51 ? ((buf[p + 1] ?? 0) + 2) * 4 : ((buf[p + 1] ?? 0) + 1) * 8;
      next = buf[p] ?? 0;
      p += length;
    }
    view.protocol = next;
    return transport(view, buf, p, capEnd, wireEnd);
  }

  private fragment(
    view: PacketView,
    key: string,
    offset: number,
    more: boolean,
    buf: Buffer,
    start: number,
    end: number,
  ): DecodeStatus {
    const done = this.fragments.add(key, view.time, offset, more, buf, start, end, view.wireLength);
    if (!done) return DecodeStatus.FragmentHeld;
    view.buf = done.data;
    view.frames = done.frames;
    view.wireLength = done.wireLength;
    return transport(view, done.data, 0, done.data.length, done.data.length);
  }
}

function transport(view: PacketView, buf: Buffer, at: number, capEnd: number, wireEnd: number): DecodeStatus {
  view.tcpFlags = 0;
  view.srcPort = view.dstPort = 0;
  switch (view.protocol) {
    case IpProtocol.Tcp: {
      if (capEnd - at < 20) return DecodeStatus.Malformed;
      const headerLength = ((buf[at + 12] ?? 0) >> 4) * 4;
      if (headerLength < 20 || at + headerLength > wireEnd) return DecodeStatus.Malformed;
      view.srcPort = u16be(buf, at);
      view.dstPort = u16be(buf, at + 2);
      view.seq = u32be(buf, at + 4);
      view.ack = u32be(buf, at + 8);
      view.tcpFlags = buf[at + 13] ?? 0;
      view.window = u16be(buf, at + 14);
      return payload(view, at + headerLength, capEnd, wireEnd);
    }
    case IpProtocol.Udp: {
      if (capEnd - at < 8) return DecodeStatus.Malformed;
      view.srcPort = u16be(buf, at);
      view.dstPort = u16be(buf, at + 2);
      const length = u16be(buf, at + 4);
      return payload(view, at + 8, capEnd, length >= 8 ? Math.min(wireEnd, at + length) : wireEnd);
    }
    case IpProtocol.Sctp:
      if (capEnd - at < 12) return DecodeStatus.Malformed;
      view.srcPort = u16be(buf, at);
      view.dstPort = u16be(buf, at + 2);
      return payload(view, at + 12, capEnd, wireEnd);
    case IpProtocol.Icmp:
    case IpProtocol.Icmpv6:
      if (capEnd - at < 4) return DecodeStatus.Malformed;
      view.srcPort = buf[at] ?? 0; // type
      view.dstPort = buf[at + 1] ?? 0; // code
      return payload(view, Math.min(at + 8, capEnd), capEnd, Math.max(wireEnd, at + 8));
    default:
      return payload(view, at, capEnd, wireEnd);
  }
}

function payload(view: PacketView, at: number, capEnd: number, wireEnd: number): DecodeStatus {
  view.payloadOffset = at;
  view.payloadLength = Math.max(0, wireEnd - at);
  view.payloadCaptured = Math.max(0, Math.min(capEnd, wireEnd) - at);
  return DecodeStatus.Ok;
}
