// One decoded packet, reused for every packet (no per-packet objects): addresses as 32-bit words, ports,
// TCP header fields and where the transport payload lies in `buf`.
export const Family = { V4: 4, V6: 6 } as const;
export type Family = (typeof Family)[keyof typeof Family];

export const IpProtocol = { Icmp: 1, Tcp: 6, Udp: 17, Icmpv6: 58, Sctp: 132 } as const;

export const TcpFlag = { Fin: 0x01, Syn: 0x02, Rst: 0x04, Psh: 0x08, Ack: 0x10, Urg: 0x20 } as const;

export class PacketView {
  buf: Buffer = Buffer.alloc(0);
  tsSec = 0;
  tsNsec = 0;
  /** Seconds as a float, for timeouts and ordering. */
  time = 0;
  /** Original (on-the-wire) frame length, summed over fragments for a reassembled datagram. */
  wireLength = 0;
  /** Frames this packet stands for (more than 1 for a reassembled IP datagram). */
  frames = 1;
  family: Family = Family.V4;
  /** IPv4 uses word 0 only; IPv6 all four, big-endian words. */
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  protocol = 0;
  /** Ports; for ICMP the type and code. */
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  seq = 0;
  ack = 0;
  window = 0;
  /** Transport payload: offset in buf, bytes captured, bytes on the wire (IP lengths say). */
  payloadOffset = 0;
  payloadCaptured = 0;
  payloadLength = 0;
}

/** A packet's capture time: exact seconds + nanoseconds, and the float `time` for arithmetic. */
export interface PacketTime {
  readonly tsSec: number;
  readonly tsNsec: number;
  readonly time: number;
}
