// DNS over UDP (one message per datagram) and TCP (2-byte length framing, RFC 1035 4.2.2; after a gap the
// parser drops what it held and resynchronises at the next segment that starts with a plausible message).
// Queries wait for their response by id, at most MAX_PENDING per flow; the rest are written unanswered.
import type { PacketTime } from '../decode/packet-view.js';
import type { FlowInfo } from '../flow/flow-info.js';
import { Direction, type StreamConsumer, type StreamConsumerFactory } from '../flow/stream-consumer.js';
import type { RecordSink } from '../records/record.js';
import { decodeDnsMessage, type DnsMessage } from './dns-message.js';
import { buildDnsRecord, buildMalformedDnsRecord, stampOf, type Stamp } from './dns-record.js';
import { TcpFramer } from './tcp-framer.js';

export const DNS_PORT = 53;
export const MAX_PENDING = 256;

interface Pending {
  message: DnsMessage;
  at: Stamp;
}

class DnsConsumer implements StreamConsumer {
  private readonly pending = new Map<number, Pending>();
  private readonly framers: [TcpFramer, TcpFramer] | undefined;
  private seen = false;

  constructor(
    private readonly flow: FlowInfo,
    private readonly sink: RecordSink,
    tcp: boolean,
  ) {
    if (tcp) this.framers = [new TcpFramer(), new TcpFramer()];
  }

  data(direction: Direction, data: Buffer, start: number, end: number, at: PacketTime): void {
    const framer = this.framers?.[direction];
    if (!framer) {
      this.message(direction, data.subarray(start, end), at);
      return;
    }
    framer.push(data, start, end, (message) => this.message(direction, message, at));
  }

  gap(direction: Direction): void {
    this.framers?.[direction].reset();
  }

  end(): void {
    for (const p of this.pending.values()) this.sink(buildDnsRecord(this.flow, p, undefined));
    this.pending.clear();
  }

  private message(direction: Direction, bytes: Buffer, packetAt: PacketTime): void {
    const at = stampOf(packetAt);
    const decoded = decodeDnsMessage(bytes);
    if (!decoded.ok) {
      this.sink(buildMalformedDnsRecord(this.flow, decoded.id, decoded.error, at));
      return;
    }
    const m = decoded.message;
    if (!this.seen) {
      this.seen = true;
      // The first message is a response from the "client": the roles were guessed the wrong way round.
      if (m.response && direction === Direction.ClientToServer && this.flow.rolesGuessed) this.flow.swapRoles();
    }
    if (!m.response) {
      if (this.pending.has(m.id)) return; // a retransmitted query: the first one's time counts
      if (this.pending.size >= MAX_PENDING) {
        const [oldId, oldest] = this.pending.entries().next().value as [number, Pending];
        this.pending.delete(oldId);
        this.sink(buildDnsRecord(this.flow, oldest, undefined));
      }
      this.pending.set(m.id, { message: m, at });
      return;
    }
    const query = this.pending.get(m.id);
    this.pending.delete(m.id);
    this.sink(buildDnsRecord(this.flow, query, { message: m, at }));
  }
}

export function dnsConsumerFactory(sink: RecordSink): StreamConsumerFactory {
  return {
    open(flow) {
      if (flow.serverPort !== DNS_PORT && flow.clientPort !== DNS_PORT) return undefined;
      if (flow.network() !== 'udp' && flow.network() !== 'tcp') return undefined;
      return new DnsConsumer(flow, sink, flow.network() === 'tcp');
    },
  };
}
