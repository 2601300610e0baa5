// The HTTP/1.x parser of one direction of a connection: heads, then bodies framed by Content-Length,
// chunked coding or the end of the stream, message after message (keep-alive, pipelining). Passive and
// gap-tolerant: a gap inside a body of known length (Content-Length, or inside a chunk) is skipped and the
// message flagged partial; any other gap ends the message partial and the reader resynchronises on the next
// start line. The connection (http-connection.ts) decides framing that depends on the exchange and may
// hold, restart or silence the reader from its callbacks.
import type { PacketTime } from '../decode/packet-view.js';
import { ChunkedBody, ChunkStatus } from './chunked-body.js';
import { HeldBytes } from './held-bytes.js';
import { Framing, parseHead, type BodyFraming } from './message-head.js';
import { stampOf, type ReaderEvents, type Stamp } from './reader-events.js';
import { StartScanner } from './start-scanner.js';
import { findHeadEnd } from './start-line.js';

/** A head larger than this is not one: the message is dropped and the reader resynchronises. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Bytes at a stream's start within which a start line must appear, or the stream is not HTTP. */
export const DETECT_BYTES = 16 * 1024;

const State = { Detect: 0, Resync: 1, Head: 2, Fixed: 3, Chunked: 4, Close: 5, Hold: 6, Opaque: 7 } as const;
type State = (typeof State)[keyof typeof State];

export class MessageReader {
  private state: State = State.Detect;
  private head = '';
  private readonly scanner: StartScanner;
  private detectLeft = DETECT_BYTES;
  private remaining = 0;
  private body = 0;
  /** The body's framing was guessed: check that no start line stands where it begins. */
  private guessed = false;
  private partial = false;
  private readonly chunked = new ChunkedBody();
  private startAt: Stamp | undefined;
  private lastAt: Stamp = { sec: 0, nsec: 0 };
  private readonly held = new HeldBytes();

  constructor(
    private readonly request: boolean,
    private readonly events: ReaderEvents,
  ) {
    this.scanner = new StartScanner(request);
  }

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
        case State.Fixed: {
          const n = Math.min(this.remaining, end - i);
          this.remaining -= n;
          this.body += n;
          i += n;
          if (this.remaining === 0) this.finish(false);
          break;
        }
        case State.Chunked:
          i = this.readChunked(buf, i, end);
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
        if (bytes <= this.remaining) {
          this.remaining -= bytes;
          this.body += bytes;
          this.partial = true;
          if (this.remaining === 0) this.finish(false);
          return;
        }
        this.finish(true);
        break;
      case State.Chunked:
        if (this.chunked.gap(bytes)) {
          this.partial = true;
          return;
        }
        this.body = this.chunked.bytes;
        this.finish(true);
        break;
      case State.Close:
        this.body += bytes;
        this.partial = true;
        return;
      case State.Head:
        this.salvageHead();
        break;
      case State.Hold:
        this.held.clear();
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
      case State.Chunked:
        this.body = this.chunked.bytes;
        this.finish(true);
        break;
      case State.Fixed:
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
    const held = this.held.take();
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
    this.scanner.reset();
    this.head = '';
  }

  silence(): void {
    this.state = State.Opaque;
    this.held.clear();
  }

  private hold(buf: Buffer, i: number, end: number, at: Stamp): void {
    // A tunnel that never got its answer: nothing here can be parsed reliably.
    if (!this.held.add(buf, i, end, at)) this.silence();
  }

  private resync(): void {
    this.state = State.Resync;
    this.scanner.reset();
    this.head = '';
    this.startAt = undefined;
    this.body = 0;
    this.partial = false;
  }

  private scanFor(buf: Buffer, i: number, end: number, at: Stamp): number {
    if (this.state === State.Detect && this.detectLeft === DETECT_BYTES && startsLikeTls(buf, i, end)) {
      this.state = State.Opaque; // a TLS record header: no need to look for a start line
      this.events.notHttp();
      return end;
    }
    const result = this.scanner.scan(buf, i, end);
    if (result.found) {
      this.state = State.Head;
      this.head = result.held;
      this.startAt = result.held === '' ? undefined : (this.startAt ?? at);
      return result.next;
    }
    if (result.startedHere) this.startAt = at;
    return this.countDetect(result.next - i) ? result.next : end;
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
    const before = this.head.length;
    const limit = Math.min(end, i + (MAX_HEAD_BYTES - before));
    const stop = findHeadEnd(buf, i, limit, this.head);
    if (stop < 0) {
      const text = this.head + buf.toString('latin1', i, limit);
      if (text.length >= MAX_HEAD_BYTES) {
        this.head = '';
        this.resync();
        this.events.lost();
        return limit;
      }
      this.head = text;
      return limit;
    }
    // Only the head's bytes become text, once.
    const text = before === 0 ? buf.toString('latin1', i, stop) : this.head + buf.toString('latin1', i, stop);
    this.head = '';
    const parsed = parseHead(text, this.request);
    if (!parsed) {
      this.resync();
      this.events.lost();
      return stop;
    }
    const framing = this.events.head(parsed, this.startAt ?? at, false);
    this.beginBody(framing);
    this.guessed = framing.guessed === true && this.state !== State.Head;
    return stop;
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
        this.state = State.Chunked;
        this.chunked.reset();
        return;
      case Framing.Close:
        this.state = State.Close;
        return;
    }
  }

  private readChunked(buf: Buffer, i: number, end: number): number {
    const next = this.chunked.read(buf, i, end);
    const { status, bytes, badLine } = this.chunked;
    if (status === ChunkStatus.Reading) return next;
    this.body = bytes;
    if (status === ChunkStatus.Done) {
      this.finish(false);
      return next;
    }
    // Framing was wrong (e.g. a response to a HEAD we did not see): what broke it may start a message.
    this.finish(true);
    this.resync();
    this.scanner.reset(badLine);
    this.events.lost();
    return next;
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

/** A TLS record header (handshake, alert, change cipher spec or application data; version 3.x). */
function startsLikeTls(buf: Buffer, i: number, end: number): boolean {
  const type = buf[i] ?? 0;
  return end - i >= 3 && type >= 0x14 && type <= 0x17 && buf[i + 1] === 0x03 && (buf[i + 2] ?? 9) <= 0x04;
}

const STATUS_START = Buffer.from('HTTP/1.');

/** Do the bytes at `i` begin (as far as they go) like a status line? */
function startsLikeStatus(buf: Buffer, i: number, end: number): boolean {
  const n = Math.min(STATUS_START.length, end - i);
  return buf.compare(STATUS_START, 0, n, i, i + n) === 0;
}
