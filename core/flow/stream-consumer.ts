// How application parsers (dns/, http/) plug into the flow engine. A factory sees each new flow once
// and returns a consumer for it, or undefined. TCP consumers get the reassembled byte stream of each
// direction in order, with gaps announced (so a parser resynchronises); UDP consumers get one call per
// datagram. `data` is valid only during the call: a consumer that needs bytes later copies them.
import type { PacketTime } from '../decode/packet-view.js';
import type { FlowInfo } from './flow-info.js';

export const Direction = { ClientToServer: 0, ServerToClient: 1 } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];

export interface StreamConsumer {
  /** Bytes in order (TCP) or one datagram (UDP), with the time of the packet that carried them (valid during the call). */
  data(direction: Direction, data: Buffer, start: number, end: number, at: PacketTime): void;
  /** `bytes` of this direction's stream are missing (TCP only): whatever is half-parsed must be dropped. */
  gap(direction: Direction, bytes: number): void;
  /** The flow ended (or the capture did): flush what is pending, e.g. unanswered DNS queries. */
  end(): void;
}

export interface StreamConsumerFactory {
  open(flow: FlowInfo): StreamConsumer | undefined;
}
