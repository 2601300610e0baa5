// What a direction's reader (message-reader.ts) tells its connection (http-connection.ts).
import type { PacketTime } from '../decode/packet-view.js';
import type { BodyFraming, MessageHead } from './message-head.js';

/** A packet's time, kept beyond the packet's call. */
export interface Stamp {
  readonly sec: number;
  readonly nsec: number;
}

export function stampOf(at: PacketTime): Stamp {
  return { sec: at.tsSec, nsec: at.tsNsec };
}

export interface ReaderEvents {
  /** A head was parsed (`partial`: cut by a gap, no body follows): how is its body framed? */
  head(head: MessageHead, at: Stamp, partial: boolean): BodyFraming;
  /** The message ended; `bodyBytes` counts skipped (gap) bytes too. The reader is ready for the next head. */
  end(bodyBytes: number, partial: boolean, at: Stamp): void;
  /** A gap destroyed framing: messages may have been lost whole. */
  lost(): void;
  /** No start line within DETECT_BYTES of the stream's start: not HTTP. */
  notHttp(): void;
}
