// Reassembles one direction of a TCP connection: delivers bytes in sequence order exactly once, buffers
// out-of-order segments (copied, capped per stream and engine-wide), first copy wins where copies overlap
// (a copy that differs counts as a conflict), and turns a hole into a counted gap when the peer acknowledges
// past it, the buffer caps are hit, or the flow ends.
import type { PacketTime } from '../decode/packet-view.js';
import type { MemoryBudget } from './memory-budget.js';
import { seqAdd, seqDiff } from './seq.js';

export interface StreamOutput {
  deliver(buf: Buffer, start: number, end: number, time: PacketTime): void;
  gap(bytes: number): void;
}

interface Held {
  seq: number;
  data: Buffer;
}

/** Bytes of the most recently delivered data kept to compare retransmissions against. */
const TAIL_BYTES = 2048;
/** An ACK further ahead than this is not taken as evidence of a hole (it is garbage or a new window). */
const MAX_ACK_JUMP = 1 << 30;

export class TcpStream {
  started = false;
  nextSeq = 0;
  finSeq = -1;
  finished = false;
  delivered = 0;
  gapBytes = 0;
  conflicts = 0;
  /** Set by the last segment() call: it carried data already received. */
  retransmission = false;
  /** Set when a gap was recorded since the caller last cleared it. */
  gapped = false;
  private held: Held[] = [];
  private heldBytes = 0;
  private tail: Buffer | undefined;
  private tailLength = 0;

  constructor(
    private readonly out: StreamOutput,
    private readonly budget: MemoryBudget,
    private readonly maxHeldBytes: number,
  ) {}

  start(seq: number, syn: boolean): void {
    this.started = true;
    this.nextSeq = syn ? seqAdd(seq, 1) : seq;
  }

  /** One segment: `wireLength` sequence bytes, of which `captured` are in buf at `offset`. */
  segment(
    seq: number,
    buf: Buffer,
    offset: number,
    captured: number,
    wireLength: number,
    fin: boolean,
    time: PacketTime,
  ): void {
    this.retransmission = false;
    if (fin) {
      const f = seqAdd(seq, wireLength);
      if (this.finSeq < 0) this.finSeq = f;
    }
    if (wireLength > 0 && !this.finished) {
      const rel = seqDiff(seq, this.nextSeq);
      if (rel < 0) {
        this.retransmission = true;
        const overlap = Math.min(-rel, wireLength);
        this.compareWithTail(seq, buf, offset, Math.min(overlap, captured));
        if (wireLength > overlap)
          this.take(
            seqAdd(seq, overlap),
            buf,
            offset + overlap,
            Math.max(0, captured - overlap),
            wireLength - overlap,
            time,
          );
      } else if (rel === 0) {
        this.take(seq, buf, offset, captured, wireLength, time);
      } else {
        this.hold(seq, buf, offset, captured);
      }
      this.drain(time);
    }
    this.checkFin();
  }

  /** The peer acknowledged `ack`: bytes before it that never arrived are a gap. */
  acknowledged(ack: number, time: PacketTime): void {
    if (!this.started || this.finished) return;
    const ahead = seqDiff(ack, this.nextSeq);
    if (ahead <= 0 || ahead > MAX_ACK_JUMP) return;
    const limit = this.finSeq >= 0 && seqDiff(ack, this.finSeq) > 0 ? this.finSeq : ack;
    const first = this.held[0];
    const until = first && seqDiff(first.seq, limit) < 0 ? first.seq : limit;
    this.skip(seqDiff(until, this.nextSeq));
    this.drain(time);
    this.checkFin();
  }

  /** End of the flow: every remaining hole before buffered data becomes a gap, buffered data is delivered. */
  flush(time: PacketTime): void {
    while (this.held.length > 0) {
      const first = this.held[0];
      if (first) this.skip(seqDiff(first.seq, this.nextSeq));
      this.drain(time);
    }
    this.release();
  }

  release(): void {
    this.budget.used -= this.heldBytes;
    this.heldBytes = 0;
    this.held = [];
  }

  private take(seq: number, buf: Buffer, offset: number, captured: number, wireLength: number, time: PacketTime): void {
    if (captured > 0) {
      this.out.deliver(buf, offset, offset + captured, time);
      this.remember(buf, offset, captured);
      this.delivered += captured;
    }
    this.nextSeq = seqAdd(seq, captured);
    if (wireLength > captured) this.skip(wireLength - captured); // cut off by the snaplen
  }

  private skip(bytes: number): void {
    if (bytes <= 0) return;
    this.out.gap(bytes);
    this.gapBytes += bytes;
    this.gapped = true;
    this.nextSeq = seqAdd(this.nextSeq, bytes);
    this.tailLength = 0;
  }

  private drain(time: PacketTime): void {
    while (this.held.length > 0) {
      const first = this.held[0] as Held;
      const rel = seqDiff(first.seq, this.nextSeq);
      if (rel > 0) break;
      this.held.shift();
      this.heldBytes -= first.data.length;
      this.budget.used -= first.data.length;
      const skip = -rel;
      if (skip < first.data.length) {
        this.take(seqAdd(first.seq, skip), first.data, skip, first.data.length - skip, first.data.length - skip, time);
      }
    }
    // Over a cap: give up the oldest hole.
    while (this.held.length > 0 && (this.heldBytes > this.maxHeldBytes || this.budget.exhausted)) {
      if (this.budget.exhausted) this.budget.overflows++;
      const first = this.held[0] as Held;
      this.skip(seqDiff(first.seq, this.nextSeq));
      this.drain(time);
    }
  }

  /** Buffers the parts of a segment no earlier copy covers; compares the parts one does. */
  private hold(seq: number, buf: Buffer, offset: number, captured: number): void {
    let s = seq;
    let at = offset;
    const end = offset + captured;
    const pieces: Held[] = [];
    for (const h of this.held) {
      if (at >= end) break;
      const hEnd = seqAdd(h.seq, h.data.length);
      if (seqDiff(hEnd, s) <= 0) continue;
      if (seqDiff(h.seq, seqAdd(s, end - at)) >= 0) break;
      const before = seqDiff(h.seq, s);
      if (before > 0) {
        pieces.push({ seq: s, data: Buffer.from(buf.subarray(at, at + before)) });
        at += before;
        s = h.seq;
      }
      const into = seqDiff(s, h.seq);
      const n = Math.min(end - at, h.data.length - into);
      if (buf.compare(h.data, into, into + n, at, at + n) !== 0) this.conflicts++;
      at += n;
      s = seqAdd(s, n);
    }
    if (at < end) pieces.push({ seq: s, data: Buffer.from(buf.subarray(at, end)) });
    for (const piece of pieces) this.insert(piece);
  }

  private insert(piece: Held): void {
    let i = this.held.length;
    while (i > 0 && seqDiff((this.held[i - 1] as Held).seq, piece.seq) > 0) i--;
    this.held.splice(i, 0, piece);
    this.heldBytes += piece.data.length;
    this.budget.used += piece.data.length;
  }

  private remember(buf: Buffer, offset: number, length: number): void {
    if (!this.tail) this.tail = Buffer.allocUnsafe(TAIL_BYTES);
    const tail = this.tail;
    if (length >= TAIL_BYTES) {
      buf.copy(tail, 0, offset + length - TAIL_BYTES, offset + length);
      this.tailLength = TAIL_BYTES;
      return;
    }
    const keep = Math.min(this.tailLength, TAIL_BYTES - length);
    if (keep > 0) tail.copy(tail, 0, this.tailLength - keep, this.tailLength);
    buf.copy(tail, keep, offset, offset + length);
    this.tailLength = keep + length;
  }

  /** A retransmitted range that differs from what was delivered (as far as the tail reaches) is a conflict. */
  private compareWithTail(seq: number, buf: Buffer, offset: number, length: number): void {
    if (!this.tail || length <= 0) return;
    const back = -seqDiff(seq, this.nextSeq); // bytes before nextSeq where the copy starts
    if (back > this.tailLength) return;
    const from = this.tailLength - back;
    const n = Math.min(length, back);
    if (buf.compare(this.tail, from, from + n, offset, offset + n) !== 0) this.conflicts++;
  }

  private checkFin(): void {
    if (this.finished || this.finSeq < 0) return;
    if (seqDiff(this.nextSeq, this.finSeq) >= 0 && this.held.length === 0) {
      this.finished = true;
      this.nextSeq = seqAdd(this.finSeq, 1);
    }
  }
}
