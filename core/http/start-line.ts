// Finding where a message starts (in latin1 text) and where its head ends (in bytes): used at the start of a stream
// (is this HTTP at all?) and after a gap (resynchronise on the next request or status line).
export const Match = { Yes: 0, No: 1, More: 2 } as const;
export type Match = (typeof Match)[keyof typeof Match];

/** A start line longer than this is not one (and bounds what a scan holds). */
export const MAX_START_LINE = 8192;

const REQUEST_START = /^[A-Z][A-Z-]{2,19} +[^ \r\n]+ +HTTP\/1\.[01] *\r?$/;
// What a request line cut short may look like (it may end in the \r of its CRLF).
const METHOD_PREFIX = /^[A-Z][A-Z-]{0,19}( +[^ \r\n]*( +H?T?T?P?\/?1?\.?[01]?\r?)?)?$/;
const STATUS_START = /^HTTP\/1\.[01] \d{3}/;
const STATUS_PREFIX = 'HTTP/1.1 200';

/** Does a request line (strict: upper-case method, HTTP/1.0 or 1.1) start at `at`? */
export function matchRequestLine(text: string, at: number): Match {
  const eol = text.indexOf('\n', at);
  if (eol < 0) {
    const rest = text.length - at;
    if (rest > MAX_START_LINE) return Match.No;
    return METHOD_PREFIX.test(text.slice(at, at + Math.min(rest, 64))) ? more(text, at) : Match.No;
  }
  if (eol - at > MAX_START_LINE) return Match.No;
  return REQUEST_START.test(text.slice(at, eol)) ? Match.Yes : Match.No;
}

function more(text: string, at: number): Match {
  // Past the method: the line so far must not hold a control character.
  for (let i = at; i < text.length; i++) if (text.charCodeAt(i) < 0x20 && text[i] !== '\r') return Match.No;
  return Match.More;
}

/** Does a status line start at `at`? */
export function matchStatusLine(text: string, at: number): Match {
  const rest = text.length - at;
  if (rest >= STATUS_PREFIX.length) return STATUS_START.test(text.slice(at, at + 16)) ? Match.Yes : Match.No;
  for (let i = 0; i < rest; i++) {
    const got = text.charCodeAt(at + i);
    const digit = got >= 0x30 && got <= 0x39;
    // "HTTP/1." literally, then the minor version digit, a space, three digits.
    const ok = i < 7 || i === 8 ? got === STATUS_PREFIX.charCodeAt(i) : digit;
    if (!ok) return Match.No;
  }
  return Match.More;
}

/** Methods recognised inside other bytes (at a line or segment start any upper-case token is). */
const KNOWN_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE'];

/**
 * The first position ≥ `from` where a start line may begin in the middle of other bytes (a body we could
 * not frame runs straight into the next message): "HTTP/1." for responses; for requests, a known method
 * right before "<uri> HTTP/1.". -1 when there is none.
 */
export function embeddedStart(text: string, from: number, request: boolean): number {
  if (!request) return text.indexOf('HTTP/1.', from);
  for (let at = text.indexOf(' HTTP/1.', from); at >= 0; at = text.indexOf(' HTTP/1.', at + 1)) {
    const space = text.lastIndexOf(' ', at - 1);
    if (space < 0) continue;
    for (const method of KNOWN_METHODS) {
      const start = space - method.length;
      if (start >= from && text.startsWith(method, start)) return start;
    }
  }
  return -1;
}

/**
 * Index in `buf` just past the empty line that ends a head whose earlier bytes are `held` and which
 * continues in `buf[from, limit)`, or -1. Bare LF line ends count (RFC 9112 2.2).
 */
export function findHeadEnd(buf: Buffer, from: number, limit: number, held: string): number {
  // An empty line may begin in what is held: it ends in "\n" or "\n\r".
  const last = held.charCodeAt(held.length - 1);
  if (last === 0x0a && from < limit) {
    if (buf[from] === 0x0a) return from + 1;
    if (buf[from] === 0x0d && from + 1 < limit && buf[from + 1] === 0x0a) return from + 2;
  } else if (last === 0x0d && held.charCodeAt(held.length - 2) === 0x0a && from < limit && buf[from] === 0x0a) {
    return from + 1;
  }
  // A byte loop: the head is short, and indexOf on `buf` would not stop at `limit`.
  for (let i = from; i < limit; i++) {
    if (buf[i] !== 0x0a) continue;
    const next = buf[i + 1];
    if (i + 1 < limit && next === 0x0a) return i + 2;
    if (i + 2 < limit && next === 0x0d && buf[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}
