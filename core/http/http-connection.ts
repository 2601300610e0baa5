// One TCP connection's HTTP/1.x exchanges: a reader per direction, requests queued in order until their
// responses come (pipelining), framing that depends on the exchange (HEAD, 1xx, 204, 304, CONNECT), and
// the stream turning opaque after a 101 or into a new stream inside a successful CONNECT tunnel.
import type { PacketTime } from '../decode/packet-view.js';
import type { FlowInfo } from '../flow/flow-info.js';
import { Direction, type StreamConsumer } from '../flow/stream-consumer.js';
import type { RecordSink } from '../records/record.js';
import { buildHttpRecord, type Exchange, type Message } from './http-record.js';
import { Framing, framingOf, tokens, type BodyFraming, type MessageHead } from './message-head.js';
import { MessageReader } from './message-reader.js';
import type { ReaderEvents, Stamp } from './reader-events.js';
import type { Redaction } from './redaction.js';

/** Requests waiting for a response; beyond it the oldest is written unanswered. */
export const MAX_PENDING_REQUESTS = 64;

const NO_BODY: BodyFraming = { framing: Framing.None, length: 0 };

/** After the response in flight ends: the connection carries something else. */
const After = { Nothing: 0, Opaque: 1, Tunnel: 2 } as const;
type After = (typeof After)[keyof typeof After];

export class HttpConnection implements StreamConsumer {
  private readonly readers: [MessageReader, MessageReader];
  private readonly pending: Exchange[] = [];
  /** The request being read (its body may still be arriving). */
  private sending: Exchange | undefined;
  /** The response being read; undefined during an interim (1xx) response. */
  private answering: Exchange | undefined;
  private after: After = After.Nothing;
  /** The request reader holds bytes until this exchange's response says whether its tunnel opened. */
  private holdingFor: Exchange | undefined;
  /** Of the pending requests, how many were queued before a gap broke the response stream. */
  private pendingAtGap = 0;
  /** A gap broke the request stream and no response has found the queue empty since: pairing may be off. */
  private requestsLost = false;
  private rolesChecked = false;
  private opaque = false;

  constructor(
    private readonly flow: FlowInfo,
    private readonly sink: RecordSink,
    private readonly redaction: Redaction,
  ) {
    this.readers = [new MessageReader(true, this.requestEvents()), new MessageReader(false, this.responseEvents())];
  }

  data(direction: Direction, data: Buffer, start: number, end: number, at: PacketTime): void {
    if (this.opaque) return;
    if (!this.rolesChecked) {
      this.rolesChecked = true;
      // Seen mid-connection with roles guessed the wrong way round: the "client" sent a status line.
      if (direction === Direction.ClientToServer && this.flow.rolesGuessed && startsWithStatus(data, start, end)) {
        this.flow.swapRoles();
        direction = Direction.ServerToClient;
      }
    }
    // A parser bug must cost this connection's later records, never the capture that feeds it.
    try {
      this.readers[direction].push(data, start, end, at);
    } catch {
      this.silence();
    }
  }

  gap(direction: Direction, bytes: number): void {
    if (this.opaque) return;
    try {
      this.readers[direction].gap(bytes);
    } catch {
      this.silence();
    }
  }

  end(): void {
    this.readers[0].end();
    this.readers[1].end();
    if (this.answering) this.write(this.answering);
    for (const exchange of this.pending) this.write(exchange);
    this.pending.length = 0;
    this.answering = undefined;
    this.opaque = true;
  }

  private requestEvents(): ReaderEvents {
    return {
      head: (head, at, partial) => {
        const exchange: Exchange = { request: message(head, at), lastAt: at };
        if (partial) (exchange.request as Message).partial = true;
        this.sending = exchange;
        if (this.pending.length >= MAX_PENDING_REQUESTS) {
          this.write(this.pending.shift() as Exchange);
          if (this.pendingAtGap > 0) this.pendingAtGap--;
        }
        this.pending.push(exchange);
        if (!partial && opensTunnel(head)) this.holdingFor = exchange;
        return framingOf(head);
      },
      end: (bodyBytes, partial, at) => {
        const exchange = this.sending;
        this.sending = undefined;
        if (!exchange?.request) return;
        exchange.request.bodyBytes = bodyBytes;
        exchange.request.partial ||= partial;
        exchange.lastAt = at;
        if (this.holdingFor === exchange) this.readers[0].holdFromNow();
      },
      // Requests lost whole would leave their responses to pair with later requests.
      lost: () => {
        this.requestsLost = true;
      },
      notHttp: () => this.silence(),
    };
  }

  private responseEvents(): ReaderEvents {
    return {
      head: (head, at, partial) => this.responseHead(head, at, partial),
      end: (bodyBytes, partial, at) => {
        const exchange = this.answering;
        this.answering = undefined;
        if (!exchange?.response) return; // an interim response
        exchange.response.bodyBytes = bodyBytes;
        exchange.response.partial ||= partial;
        exchange.lastAt = at;
        this.write(exchange);
        const after = this.after;
        this.after = After.Nothing;
        if (after === After.Opaque) this.silence();
        else if (after === After.Tunnel) {
          this.readers[1].restart();
          this.readers[0].release('detect');
        }
      },
      lost: () => {
        this.pendingAtGap = this.pending.length;
      },
      notHttp: () => undefined,
    };
  }

  private responseHead(head: MessageHead, at: Stamp, partial: boolean): BodyFraming {
    const code = head.statusCode;
    if (code >= 100 && code < 200 && code !== 101 && !partial) return NO_BODY; // interim: the final one follows
    let uncertain = false;
    if (this.pendingAtGap > 0) {
      // A gap may have swallowed whole responses. Requests sent after it mean the client had read what
      // the gap hid (true unless it pipelines across the gap): the requests queued before the gap were
      // answered there. Otherwise pair in order, counting down the requests from before the gap; such a
      // pairing is a guess, so is the framing that depends on the request (HEAD).
      if (this.pending.length > this.pendingAtGap) {
        for (; this.pendingAtGap > 0; this.pendingAtGap--) this.write(this.pending.shift() as Exchange);
      } else {
        this.pendingAtGap--;
        uncertain = true;
      }
    }
    if (this.pending.length === 0) this.requestsLost = false; // responses have caught up with the requests
    const exchange: Exchange = this.pending.shift() ?? { lastAt: at };
    exchange.response = message(head, at);
    if (partial) exchange.response.partial = true;
    this.answering = exchange;
    const method = exchange.request?.head.method ?? '';
    if (this.holdingFor === exchange) {
      this.holdingFor = undefined;
      const opened = !partial && (method === 'CONNECT' ? code >= 200 && code < 300 : code === 101);
      if (opened) this.after = method === 'CONNECT' ? After.Tunnel : After.Opaque;
      else this.readers[0].release('resume');
      if (opened) return NO_BODY;
    } else if (code === 101 && !partial) {
      this.after = After.Opaque;
      return NO_BODY;
    }
    if (code === 204 || code === 304 || (code >= 100 && code < 200)) return NO_BODY;
    // An uncertain pairing says nothing about HEAD: frame by the headers, and look for a status line
    // where the body would begin.
    if (!exchange.request || uncertain) {
      if (uncertain) exchange.response.partial = true;
      return { ...framingOf(head), guessed: true };
    }
    if (method === 'HEAD') return NO_BODY;
    return this.requestsLost ? { ...framingOf(head), guessed: true } : framingOf(head);
  }

  private silence(): void {
    this.readers[0].silence();
    this.readers[1].silence();
  }

  private write(exchange: Exchange): void {
    this.sink(buildHttpRecord(this.flow, exchange, this.redaction));
  }
}

function message(head: MessageHead, at: Stamp): Message {
  return { head, at, bodyBytes: 0, partial: false };
}

/** CONNECT, or an Upgrade request: what follows the request waits for the response. */
function opensTunnel(head: MessageHead): boolean {
  if (head.method === 'CONNECT') return true;
  return head.upgrade === true && tokens(head.connection ?? '').includes('upgrade');
}

function startsWithStatus(data: Buffer, start: number, end: number): boolean {
  return end - start >= 5 && data.toString('latin1', start, start + 5) === 'HTTP/';
}
