// The HTTP/1.x parser of one direction of a connection: heads, then bodies framed by Content-Length,
// chunked coding or the end of the stream, message after message (keep-alive, pipelining). Passive and
// gap-tolerant: a gap inside a body of known length (Content-Length, or inside a chunk) is skipped and the
// message flagged partial; any other gap ends the message partial and the reader resynchronises on the next
// start line. The connection (http-connection.ts) decides framing that depends on the exchange and may
// hold, restart or silence the reader from its callbacks.
import type { PacketTime } from '../decode/packet-view.js';
import { Framing, parseHead, type BodyFraming, type MessageHead } from './message-head.js';
import { embeddedStart, findHeadEnd, Match, matchRequestLine, matchStatusLine } from './start-line.js';

/** A head larger than this is not one: the message is dropped and the reader resynchronises. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Bytes at a stream's start within which a start line must appear, or the stream is not HTTP. */
export const DETECT_BYTES = 16 * 1024;
/** Bytes held while the connection waits to learn whether a CONNECT or Upgrade succeeded. */
export const MAX_HELD_BYTES = 64 * 1024;
const MAX_CHUNK_LINE = 1024;
const MAX_TRAILER_BYTES = 16 * 1024;
/** Scanning converts at most this much to text at once. */
const SCAN_SLICE = 64 * 1024;

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

const State = {
  Detect: 0,
  Resync: 1,
  Head: 2,
  Fixed: 3,
  ChunkSize: 4,
  ChunkData: 5,
  ChunkEnd: 6,
  Trailer: 7,
  Close: 8,
  Hold: 9,
  Opaque: 10,
} as const;
type State = (typeof State)[keyof typeof State];

interface Held {
  readonly bytes: Buffer;
  readonly at: Stamp;
}

export class MessageReader {
  private state: State = State.Detect;
  private head = '';
  /** Text held while a possible start line is incomplete (it starts at a candidate position). */
  private scan = '';
  private detectLeft = DETECT_BYTES;
  private remaining = 0;
  private body = 0;
  /** The body's framing was guessed: check that no start line stands where it begins. */
  private guessed = false;
  private partial = false;
  private line = '';
  private trailerBytes = 0;
  private startAt: Stamp | undefined;
  private lastAt: Stamp = { sec: 0, nsec: 0 };
  private held: Held[] = [];
  private heldBytes = 0;

  constructor(
    private readonly request: boolean,
    private readonly events: ReaderEvents,
  ) {}

  get opaque(): boolean {
    return this.state === State.Opaque;
  }

  push(buf: Buffer, start: number, end: number, at: PacketTime | Stamp): void {
    const stamp = 'tsSec' in at ? stampOf(at) : at;
    this.lastAt = stamp;
    let i = start;
    while (i < end) {
      if (this.guessed) {
        this.guessed = false;
        if (startsLikeStatus(buf, i, end)) this.finish(true); // it had no body after all
      }
      switch (this.state) {
        case State.Opaque:
          return;
        case State.Hold:
          this.hold(buf, i, end, stamp);
          return;
        case State.Detect:
        case State.Resync:
          i = this.scanFor(buf, i, end, stamp);
          break;
        case State.Head:
          i = this.readHead(buf, i, end, stamp);
          break;
        case State.Fixed:
        case State.ChunkData: {
          const n = Math.min(this.remaining, end - i);
          this.remaining -= n;
          this.body += n;
          i += n;
          if (this.remaining === 0) this.afterData();
          break;
        }
        case State.ChunkEnd:
          i = this.readChunkEnd(buf, i);
          break;
        case State.ChunkSize:
        case State.Trailer:
          i = this.readLine(buf, i, end);
          break;
        case State.Close:
          this.body += end - i;
          i = end;
          break;
      }
    }
  }

  gap(bytes: number): void {
    switch (this.state) {
      case State.Fixed:
      case State.ChunkData:
        if (bytes <= this.remaining) {
          this.remaining -= bytes;
          this.body += bytes;
          this.partial = true;
          if (this.remaining === 0) this.afterData();
          return;
        }
        this.finish(true);
        break;
      case State.Close:
        this.body += bytes;
        this.partial = true;
        return;
      case State.Head:
        this.salvageHead();
        break;
      case State.ChunkSize:
      case State.ChunkEnd:
      case State.Trailer:
        this.finish(true);
        break;
      case State.Hold:
        this.held = [];
        this.heldBytes = 0;
        break;
      case State.Opaque:
        return;
      case State.Detect:
      case State.Resync:
        break;
    }
    this.resync();
    this.events.lost();
  }

  /** The stream ended: a close-delimited body is complete, anything else half-read is partial. */
  end(): void {
    switch (this.state) {
      case State.Close:
        this.finish(this.partial);
        break;
      case State.Fixed:
      case State.ChunkSize:
      case State.ChunkData:
      case State.ChunkEnd:
      case State.Trailer:
        this.finish(true);
        break;
      case State.Head:
        this.salvageHead();
        break;
      default:
        break;
    }
    this.state = State.Opaque;
  }

  /** Keeps what arrives from now on until release() (CONNECT and Upgrade wait for their response). */
  holdFromNow(): void {
    this.state = State.Hold;
  }

  /** Parses the held bytes and what follows as HTTP messages ('resume'), as a new stream ('detect'), or drops them. */
  release(mode: 'resume' | 'detect' | 'opaque'): void {
    if (this.state !== State.Hold) return;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    if (mode === 'opaque') {
      this.state = State.Opaque;
      return;
    }
    if (mode === 'resume') this.state = State.Head;
    else this.restart();
    for (const h of held) this.push(h.bytes, 0, h.bytes.length, h.at);
  }

  /** What follows is a new stream (inside a CONNECT tunnel): HTTP if a start line comes soon, else opaque. */
  restart(): void {
    this.state = State.Detect;
    this.detectLeft = DETECT_BYTES;
    this.scan = '';
    this.head = '';
  }

  silence(): void {
    this.state = State.Opaque;
    this.held = [];
    this.heldBytes = 0;
  }

  private hold(buf: Buffer, i: number, end: number, at: Stamp): void {
    if (this.heldBytes + (end - i) > MAX_HELD_BYTES) {
      this.silence(); // a tunnel that never got its answer: nothing here can be parsed reliably
      return;
    }
    this.held.push({ bytes: Buffer.from(buf.subarray(i, end)), at });
    this.heldBytes += end - i;
  }

  private resync(): void {
    this.state = State.Resync;
    this.scan = '';
    this.head = '';
    this.startAt = undefined;
    this.body = 0;
    this.partial = false;
  }

  /**
   * Looks for a start line where messages may start: at a line start, and where a segment starts (a sender
   * usually begins a message in a new segment, and a gap may end anywhere). Returns how far `buf` was consumed.
   */
  private scanFor(buf: Buffer, i: number, end: number, at: Stamp): number {
    const take = Math.min(end, i + SCAN_SLICE);
    const base = this.scan.length;
    const text = this.scan + buf.toString('latin1', i, take);
    const match = this.request ? matchRequestLine : matchStatusLine;
    // Candidates: line starts, where this segment's bytes begin (`base`), and a start line embedded right
    // after the end of a body we could not frame (found once per pass, not once per line).
    let embedded = embeddedStart(text, 1, this.request);
    for (let pos = 0; pos >= 0 && pos < text.length;) {
      const m = match(text, pos);
      if (m === Match.Yes) {
        this.state = State.Head;
        this.head = pos < base ? text.slice(pos, base) : '';
        this.startAt = pos < base ? (this.startAt ?? at) : undefined;
        this.scan = '';
        return pos < base ? i : i + (pos - base);
      }
      if (m === Match.More) {
        this.scan = text.slice(pos);
        if (pos >= base) this.startAt = at;
        return this.countDetect(take - i) ? take : end;
      }
      if (embedded >= 0 && embedded <= pos) embedded = embeddedStart(text, pos + 1, this.request);
      const eol = text.indexOf('\n', pos);
      let next = eol < 0 ? text.length : eol + 1;
      if (base > pos && base < next) next = base;
      if (embedded >= 0 && embedded < next) next = embedded;
      pos = next;
    }
    this.scan = '';
    return this.countDetect(take - i) ? take : end;
  }

  /** Spends detection budget; false when the stream turned out not to be HTTP. */
  private countDetect(bytes: number): boolean {
    if (this.state !== State.Detect) return true;
    this.detectLeft -= bytes;
    if (this.detectLeft > 0) return true;
    this.state = State.Opaque;
    this.events.notHttp();
    return false;
  }

  private readHead(buf: Buffer, i: number, end: number, at: Stamp): number {
    if (this.head.length === 0) {
      while (i < end && (buf[i] === 0x0d || buf[i] === 0x0a)) i++; // empty lines before a message (RFC 9112 2.2)
      if (i === end) return i;
      this.startAt ??= at;
    }
    const room = MAX_HEAD_BYTES - this.head.length;
    const limit = Math.min(end, i + room);
    // Search only this packet's bytes: `buf` may be a large capture buffer.
    const crlf = buf.subarray(i, limit).indexOf('\r\n\r\n');
    const cut = crlf >= 0 ? i + crlf + 4 : limit;
    const before = this.head.length;
    const text = this.head + buf.toString('latin1', i, cut);
    const headEnd = findHeadEnd(text, before - 3);
    if (headEnd < 0) {
      if (text.length >= MAX_HEAD_BYTES) {
        this.head = '';
        this.resync();
        this.events.lost();
        return cut;
      }
      this.head = text;
      return cut;
    }
    this.head = '';
    const parsed = parseHead(text.slice(0, headEnd), this.request);
    const consumed = i + (headEnd - before);
    if (!parsed) {
      this.resync();
      this.events.lost();
      return consumed;
    }
    const framing = this.events.head(parsed, this.startAt ?? at, false);
    this.beginBody(framing);
    this.guessed = framing.guessed === true && this.state !== State.Head;
    return consumed;
  }

  private beginBody(framing: BodyFraming): void {
    switch (framing.framing) {
      case Framing.None:
        this.finish(false);
        return;
      case Framing.Fixed:
        this.state = State.Fixed;
        this.remaining = framing.length;
        return;
      case Framing.Chunked:
        this.state = State.ChunkSize;
        this.line = '';
        return;
      case Framing.Close:
        this.state = State.Close;
        return;
    }
  }

  private afterData(): void {
    if (this.state === State.Fixed) this.finish(false);
    else this.state = State.ChunkEnd;
  }

  private readChunkEnd(buf: Buffer, i: number): number {
    const c = buf[i];
    if (c === 0x0d) return i + 1;
    if (c === 0x0a) {
      this.state = State.ChunkSize;
      this.line = '';
      return i + 1;
    }
    this.finish(true); // chunk data longer than announced: framing is lost
    this.resync();
    this.events.lost();
    return i;
  }

  /** A chunk-size line or a trailer line. */
  private readLine(buf: Buffer, i: number, end: number): number {
    const found = buf.subarray(i, end).indexOf(0x0a);
    const eol = found >= 0 ? i + found : -1;
    const stop = eol >= 0 ? eol : end;
    this.line += buf.toString('latin1', i, stop);
    if (this.state === State.Trailer) this.trailerBytes += stop - i;
    if (stop === end) {
      if (this.line.length > MAX_CHUNK_LINE && this.state === State.ChunkSize) this.badChunk();
      else if (this.trailerBytes > MAX_TRAILER_BYTES) this.badChunk();
      return end;
    }
    const line = this.line.endsWith('\r') ? this.line.slice(0, -1) : this.line;
    this.line = '';
    if (this.state === State.Trailer) {
      if (line === '') this.finish(false);
      return eol + 1;
    }
    const size = /^([0-9a-fA-F]{1,13}) *(;.*)?$/.exec(line);
    if (!size) {
      // Framing was wrong (e.g. a response to a HEAD we did not see): the line may start the next message.
      this.badChunk();
      this.scan = `${line}\r\n`;
      return eol + 1;
    }
    const n = parseInt(size[1] ?? '0', 16);
    if (n === 0) {
      this.state = State.Trailer;
      this.trailerBytes = 0;
    } else {
      this.state = State.ChunkData;
      this.remaining = n;
    }
    return eol + 1;
  }

  private badChunk(): void {
    this.line = '';
    this.finish(true);
    this.resync();
    this.events.lost();
  }

  /** A gap cut a head: record what its complete lines say, flagged partial. */
  private salvageHead(): boolean {
    const text = this.head;
    this.head = '';
    const eol = text.indexOf('\n');
    if (eol < 0) return false;
    const parsed = parseHead(text.slice(0, text.lastIndexOf('\n') + 1), this.request);
    if (!parsed) return false;
    this.events.head(parsed, this.startAt ?? this.lastAt, true);
    this.finish(true);
    return true;
  }

  private finish(partial: boolean): void {
    const body = this.body;
    const wasPartial = partial || this.partial;
    this.state = State.Head;
    this.head = '';
    this.body = 0;
    this.partial = false;
    this.startAt = undefined;
    this.events.end(body, wasPartial, this.lastAt);
  }
}

const STATUS_START = Buffer.from('HTTP/1.');

/** Do the bytes at `i` begin (as far as they go) like a status line? */
function startsLikeStatus(buf: Buffer, i: number, end: number): boolean {
  const n = Math.min(STATUS_START.length, end - i);
  return buf.compare(STATUS_START, 0, n, i, i + n) === 0;
}
