// One connection or flow: endpoints (side A = the first packet's sender), counters per side, TCP state,
// the consumer that parses its payload, and the list links of the flow table. Roles are a bit on top:
// `clientSide` says which side is the client, so a late decision needs no data moved.
import { addressBytes, formatEndpoint, formatIp } from '../decode/address-format.js';
import { IpProtocol } from '../decode/packet-view.js';
import { communityId } from './community-id.js';
import { createHash } from 'node:crypto';
import type { FlowInfo } from './flow-info.js';
import { Direction, type StreamConsumer } from './stream-consumer.js';
import type { TcpHistory } from './tcp-history.js';
import type { TcpStream } from './tcp-stream.js';

export type Side = 0 | 1;

const PORTED = new Set<number>([IpProtocol.Tcp, IpProtocol.Udp, IpProtocol.Sctp]);

const NETWORK_NAMES = new Map<number, string>([
  [IpProtocol.Tcp, 'tcp'],
  [IpProtocol.Udp, 'udp'],
  [IpProtocol.Icmp, 'icmp'],
  [IpProtocol.Icmpv6, 'icmpv6'],
  [IpProtocol.Sctp, 'sctp'],
]);

export class Flow implements FlowInfo {
  family = 4;
  readonly a = new Uint32Array(4);
  readonly b = new Uint32Array(4);
  portA = 0;
  portB = 0;
  protocol = 0;
  hash = 0;
  // flow table links
  prev: Flow | null = null;
  next: Flow | null = null;
  bucketNext: Flow | null = null;
  closing = false;
  // times of the first and last packet
  firstSec = 0;
  firstNsec = 0;
  lastSec = 0;
  lastNsec = 0;
  firstTime = 0;
  lastTime = 0;
  readonly packets = [0, 0];
  readonly bytes = [0, 0];
  readonly payload = [0, 0];
  clientSide: Side = 0;
  rolesGuessed = false;
  history: TcpHistory | undefined;
  streams: [TcpStream, TcpStream] | undefined;
  finSide = -1;
  rstSide = -1;
  consumer: StreamConsumer | undefined;
  private id: string | undefined;
  private cid: string | undefined;
  /** Each side's endpoint text, made once: every record of the flow carries both. */
  private readonly endpoints: [string | undefined, string | undefined] = [undefined, undefined];

  get clientPort(): number {
    return this.clientSide === 0 ? this.portA : this.portB;
  }

  get serverPort(): number {
    return this.clientSide === 0 ? this.portB : this.portA;
  }

  direction(side: Side): Direction {
    return side === this.clientSide ? Direction.ClientToServer : Direction.ServerToClient;
  }

  swapRoles(): void {
    this.clientSide = this.clientSide === 0 ? 1 : 0;
    this.rolesGuessed = false;
  }

  communityId(): string {
    this.cid ??= communityId(
      this.protocol,
      addressBytes(this.family, this.a),
      addressBytes(this.family, this.b),
      this.portA,
      this.portB,
    );
    return this.cid;
  }

  flowId(): string {
    this.id ??= createHash('sha1')
      .update(`${this.communityId()}|${this.firstSec}.${this.firstNsec}`)
      .digest('hex')
      .slice(0, 16);
    return this.id;
  }

  client(): string {
    return this.endpoint(this.clientSide);
  }

  server(): string {
    return this.endpoint(this.clientSide === 0 ? 1 : 0);
  }

  network(): string {
    return NETWORK_NAMES.get(this.protocol) ?? String(this.protocol);
  }

  private endpoint(side: Side): string {
    return (this.endpoints[side] ??= this.endpointText(side));
  }

  private endpointText(side: Side): string {
    const words = side === 0 ? this.a : this.b;
    if (!PORTED.has(this.protocol)) return formatIp(this.family, words); // ICMP and protocols without ports
    return formatEndpoint(this.family, words, side === 0 ? this.portA : this.portB);
  }
}
