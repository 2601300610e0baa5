// Finds the network-layer header behind a link-layer header. Returns the EtherType-style protocol in
// `out.etherType` (0x0800 IPv4, 0x86dd IPv6) and its offset, or false for anything else.
import { u16be, u32be } from './bytes.js';
import { LinkType } from '../capture/link-type.js';

export const EtherType = { Ipv4: 0x0800, Ipv6: 0x86dd, Vlan: 0x8100, QinQ: 0x88a8, Vlan9100: 0x9100 } as const;

export interface NetworkStart {
  offset: number;
  etherType: number;
}

function fromVersion(buf: Buffer, offset: number, end: number, out: NetworkStart): boolean {
  if (offset >= end) return false;
  const version = (buf[offset] ?? 0) >> 4;
  out.offset = offset;
  out.etherType = version === 4 ? EtherType.Ipv4 : version === 6 ? EtherType.Ipv6 : 0;
  return out.etherType !== 0;
}

function fromAddressFamily(family: number, offset: number, out: NetworkStart): boolean {
  out.offset = offset;
  // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
  if (family === 2) out.etherType = EtherType.Ipv4;
  else if (family === 10 || family === 24 || family === 28 || family === 30) out.etherType = EtherType.Ipv6;
  else return false;
  return true;
}

export function findNetworkLayer(
  buf: Buffer,
  start: number,
  end: number,
  linkType: number,
  out: NetworkStart,
): boolean {
  switch (linkType) {
    case LinkType.Ethernet: {
      let at = start + 12;
      if (end - at < 2) return false;
      let type = u16be(buf, at);
      for (
        let tags = 0;
        tags < 3 && (type === EtherType.Vlan || type === EtherType.QinQ || type === EtherType.Vlan9100);
        tags++
      ) {
        at += 4;
        if (end - at < 2) return false;
        type = u16be(buf, at);
      }
      out.offset = at + 2;
      out.etherType = type;
      return true;
    }
    case LinkType.LinuxSll:
      if (end - start < 16) return false;
      out.offset = start + 16;
      out.etherType = u16be(buf, start + 14);
      return true;
    case LinkType.LinuxSll2:
      if (end - start < 20) return false;
      out.offset = start + 20;
      out.etherType = u16be(buf, start);
      return true;
    case LinkType.Null: {
      if (end - start < 4) return false;
      const le = buf.readUInt32LE(start);
      return fromAddressFamily(le < 0x10000 ? le : u32be(buf, start), start + 4, out);
    }
    case LinkType.Loop:
      if (end - start < 4) return false;
      return fromAddressFamily(u32be(buf, start), start + 4, out);
    case LinkType.Raw:
    case LinkType.Ipv4:
    case LinkType.Ipv6:
      return fromVersion(buf, start, end, out);
    default:
      return false;
  }
}
