// Per-packet TCP work on a flow: history letters, the two reassembling streams, who closed or reset first.
import { TcpFlag, type PacketView } from '../decode/packet-view.js';
import type { Flow, Side } from './flow.js';
import type { MemoryBudget } from './memory-budget.js';
import { HistoryLetter, TcpHistory } from './tcp-history.js';
import { TcpStream, type StreamOutput } from './tcp-stream.js';

export interface TcpLimits {
  readonly budget: MemoryBudget;
  readonly maxStreamBufferBytes: number;
}

function output(flow: Flow, side: Side): StreamOutput {
  return {
    deliver(buf, start, end, time) {
      flow.payload[side] = (flow.payload[side] ?? 0) + (end - start);
      flow.consumer?.data(flow.direction(side), buf, start, end, time);
    },
    gap(bytes) {
      flow.consumer?.gap(flow.direction(side), bytes);
    },
  };
}

/** Returns true when the connection is now closed (a RST, or a FIN from both sides). */
export function trackTcp(flow: Flow, side: Side, view: PacketView, limits: TcpLimits): boolean {
  const history = (flow.history ??= new TcpHistory());
  const streams = (flow.streams ??= [
    new TcpStream(output(flow, 0), limits.budget, limits.maxStreamBufferBytes),
    new TcpStream(output(flow, 1), limits.budget, limits.maxStreamBufferBytes),
  ]);
  const other: Side = side === 0 ? 1 : 0;
  const me = streams[side];
  const peer = streams[other];
  const flags = view.tcpFlags;
  const syn = (flags & TcpFlag.Syn) !== 0;
  const fin = (flags & TcpFlag.Fin) !== 0;
  const rst = (flags & TcpFlag.Rst) !== 0;
  const ack = (flags & TcpFlag.Ack) !== 0;

  if (syn && (fin || rst)) history.add(side, HistoryLetter.MultiFlag);
  if (syn) {
    history.add(side, ack ? HistoryLetter.SynAck : HistoryLetter.Syn);
    if (!me.started) me.start(view.seq, true);
  }
  if (!me.started) me.start(view.seq, false);
  if (ack && !peer.started) peer.start(view.ack, false); // picked up mid-stream: the peer's next byte
  if (rst) {
    history.add(side, HistoryLetter.Reset);
    if (flow.rstSide < 0) flow.rstSide = side;
  } else {
    // The ACK speaks about the peer's data sent before this packet: settle it first (a hole it passes is a gap).
    if (ack) peer.acknowledged(view.ack, view);
    if (view.payloadLength > 0 || fin) {
      const seq = syn ? (view.seq + 1) >>> 0 : view.seq;
      me.segment(seq, view.buf, view.payloadOffset, view.payloadCaptured, view.payloadLength, fin, view);
      if (me.retransmission) history.add(side, HistoryLetter.Retransmission);
    }
    if (view.window === 0 && !syn) history.add(side, HistoryLetter.ZeroWindow);
  }
  if (view.payloadLength > 0) history.add(side, HistoryLetter.Data);
  if (fin) {
    history.add(side, HistoryLetter.Fin);
    if (flow.finSide < 0) flow.finSide = side;
  }
  if (ack && !syn && !fin && !rst && view.payloadLength === 0) history.add(side, HistoryLetter.Ack);
  if (me.gapped) {
    history.add(side, HistoryLetter.Gap);
    me.gapped = false;
  }
  if (peer.gapped) {
    history.add(other, HistoryLetter.Gap);
    peer.gapped = false;
  }
  return rst || (me.finSeq >= 0 && peer.finSeq >= 0);
}
