// The flow engine: packets in (a PacketSink, so the file readers and the agent's capture batches feed it
// alike), records out. Decodes into one reused PacketView, finds or creates the flow, counts, reassembles
// TCP, hands payload to the consumers, and writes a flow record when a flow ends, times out, is evicted
// or the capture is finished.
import type { PacketSink } from '../capture/packet-sink.js';
import { DecodeStatus, IpDecoder } from '../decode/ip-decoder.js';
import { findNetworkLayer, type NetworkStart } from '../decode/link-layer.js';
import { IpProtocol, PacketView } from '../decode/packet-view.js';
import { buildFlowRecord, flowEnd } from '../records/flow-record.js';
import type { RecordSink } from '../records/record.js';
import { icmpPorts } from './community-id.js';
import {
  DEFAULT_CLOSED_LINGER,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_FLOWS,
  DEFAULT_MAX_STREAM_BUFFER_BYTES,
  DEFAULT_OTHER_TIMEOUT,
  DEFAULT_TCP_TIMEOUT,
  DEFAULT_UDP_TIMEOUT,
  type FlowEngineOptions,
  type FlowEngineStats,
} from './engine-options.js';
import type { Flow, Side } from './flow.js';
import { decideRoles, type Roles } from './flow-roles.js';
import { FlowTable } from './flow-table.js';
import { MemoryBudget } from './memory-budget.js';
import type { StreamConsumerFactory } from './stream-consumer.js';
import { HistoryLetter } from './tcp-history.js';
import { trackTcp, type TcpLimits } from './tcp-tracker.js';

export class FlowEngine implements PacketSink {
  readonly stats: FlowEngineStats = {
    packets: 0,
    skipped: 0,
    malformed: 0,
    fragmentsHeld: 0,
    flows: 0,
    evictions: 0,
    bufferOverflows: 0,
  };
  private readonly view = new PacketView();
  private readonly net: NetworkStart = { offset: 0, etherType: 0 };
  private readonly decoder = new IpDecoder();
  private readonly table = new FlowTable();
  private readonly roles: Roles = { senderIsClient: true, guessed: false };
  private readonly tcp: TcpLimits;
  private readonly onRecord: RecordSink;
  private readonly consumers: readonly StreamConsumerFactory[];
  private readonly tcpTimeout: number;
  private readonly udpTimeout: number;
  private readonly otherTimeout: number;
  private readonly linger: number;
  private readonly maxFlows: number;
  private now = 0;
  private nextSweep = 0;

  constructor(options: FlowEngineOptions) {
    this.onRecord = options.onRecord;
    this.consumers = options.consumers ?? [];
    this.tcpTimeout = options.tcpTimeout ?? DEFAULT_TCP_TIMEOUT;
    this.udpTimeout = options.udpTimeout ?? DEFAULT_UDP_TIMEOUT;
    this.otherTimeout = options.otherTimeout ?? DEFAULT_OTHER_TIMEOUT;
    this.linger = options.closedLinger ?? DEFAULT_CLOSED_LINGER;
    this.maxFlows = Math.max(1, options.maxFlows ?? DEFAULT_MAX_FLOWS);
    this.tcp = {
      budget: new MemoryBudget(options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES),
      maxStreamBufferBytes: options.maxStreamBufferBytes ?? DEFAULT_MAX_STREAM_BUFFER_BYTES,
    };
  }

  packet(
    data: Buffer,
    offset: number,
    captured: number,
    original: number,
    sec: number,
    nsec: number,
    linkType: number,
  ): void {
    this.stats.packets++;
    const view = this.view;
    const net = this.net;
    if (!findNetworkLayer(data, offset, offset + captured, linkType, net)) {
      this.stats.skipped++;
      return;
    }
    view.buf = data;
    view.tsSec = sec;
    view.tsNsec = nsec;
    view.time = sec + nsec / 1e9;
    view.wireLength = original;
    const status = this.decoder.decode(view, data, net.offset, offset + captured, net.etherType);
    if (status !== DecodeStatus.Ok) {
      if (status === DecodeStatus.NotIp) this.stats.skipped++;
      else if (status === DecodeStatus.Malformed) this.stats.malformed++;
      else this.stats.fragmentsHeld++;
      return;
    }
    if (view.time > this.now) this.now = view.time;
    if (this.now >= this.nextSweep) this.sweep();
    if (view.protocol === IpProtocol.Icmp || view.protocol === IpProtocol.Icmpv6) {
      const [sport, dport] = icmpPorts(view.protocol, view.srcPort, view.dstPort);
      view.srcPort = sport;
      view.dstPort = dport;
    }
    this.account(view);
  }

  /** Ends every flow (capture stopped): records for all of them, "timeout" for those idle past their timeout. */
  finish(): void {
    for (const list of [this.table.closing, this.table.open]) {
      while (list.head) {
        const flow = list.head;
        this.close(flow, this.now - flow.lastTime >= this.timeoutOf(flow));
      }
    }
    this.stats.bufferOverflows = this.tcp.budget.overflows;
    this.stats.fragmentsHeld = this.decoder.fragments.stats.held;
  }

  private account(view: PacketView): void {
    const table = this.table;
    let flow = table.lookup(view);
    let side: Side = table.side;
    if (flow && flow.closing && view.protocol === IpProtocol.Tcp && (view.tcpFlags & 0x12) === 0x02) {
      this.close(flow, false); // port reuse: a new SYN after the old connection closed
      flow = undefined;
    }
    if (!flow) {
      if (table.size >= this.maxFlows) this.evict();
      flow = this.create(view, table.hashOf(view));
      side = 0;
    } else {
      table.touch(flow);
    }
    flow.packets[side] = (flow.packets[side] ?? 0) + view.frames;
    flow.bytes[side] = (flow.bytes[side] ?? 0) + view.wireLength;
    flow.lastSec = view.tsSec;
    flow.lastNsec = view.tsNsec;
    flow.lastTime = view.time;
    if (view.protocol === IpProtocol.Tcp) {
      if (trackTcp(flow, side, view, this.tcp)) table.markClosing(flow);
    } else if (view.payloadCaptured > 0) {
      flow.payload[side] = (flow.payload[side] ?? 0) + view.payloadCaptured;
      flow.consumer?.data(
        flow.direction(side),
        view.buf,
        view.payloadOffset,
        view.payloadOffset + view.payloadCaptured,
        view,
      );
    }
  }

  private create(view: PacketView, hash: number): Flow {
    const flow = this.table.insert(view, hash);
    this.stats.flows++;
    decideRoles(view, this.roles);
    flow.clientSide = this.roles.senderIsClient ? 0 : 1;
    flow.rolesGuessed = this.roles.guessed;
    flow.firstSec = flow.lastSec = view.tsSec;
    flow.firstNsec = flow.lastNsec = view.tsNsec;
    flow.firstTime = flow.lastTime = view.time;
    for (const factory of this.consumers) {
      flow.consumer = factory.open(flow);
      if (flow.consumer) break;
    }
    return flow;
  }

  private timeoutOf(flow: Flow): number {
    if (flow.closing) return this.linger;
    if (flow.protocol === IpProtocol.Tcp) return this.tcpTimeout;
    return flow.protocol === IpProtocol.Udp ? this.udpTimeout : this.otherTimeout;
  }

  /** Writes the records of flows idle past their timeout; runs once per second of packet time. */
  private sweep(): void {
    this.nextSweep = this.now + 1;
    const closing = this.table.closing;
    while (closing.head && this.now - closing.head.lastTime >= this.linger) this.close(closing.head, true);
    const floor = Math.min(this.tcpTimeout, this.udpTimeout, this.otherTimeout);
    for (let flow = this.table.open.head; flow && this.now - flow.lastTime >= floor;) {
      const next = flow.next;
      if (this.now - flow.lastTime >= this.timeoutOf(flow)) this.close(flow, true);
      flow = next;
    }
  }

  private evict(): void {
    const victim = this.table.closing.head ?? this.table.open.head;
    if (!victim) return;
    this.stats.evictions++;
    this.close(victim, false);
  }

  private close(flow: Flow, idle: boolean): void {
    this.table.remove(flow);
    if (flow.streams) {
      for (const side of [0, 1] as const) {
        const stream = flow.streams[side];
        stream.flush(this.view);
        if (stream.gapped) flow.history?.add(side, HistoryLetter.Gap);
      }
    }
    flow.consumer?.end();
    flow.consumer = undefined;
    this.onRecord(buildFlowRecord(flow, flowEnd(flow, idle)));
  }
}
