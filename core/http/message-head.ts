// One HTTP/1.x message head (start line + header fields) parsed from its latin1 text, and the body framing
// it implies (RFC 9112 section 6). Lenient the way a passive recorder must be: bare LF line ends, obsolete
// line folding and header lines without a colon are accepted (the last is skipped), never thrown on.
import { headerKey } from './header-key.js';

export interface MessageHead {
  readonly request: boolean;
  /** Requests. */
  readonly method: string;
  readonly uri: string;
  /** "HTTP/1.1" (both kinds). */
  readonly proto: string;
  /** Responses; 0 for requests. */
  readonly statusCode: number;
  /**
   * The header fields as gost records them: names in Go's canonical form in order of first appearance,
   * each with its values in order; not redacted. The record shares it (http-record.ts): not to be changed.
   */
  readonly fields: Record<string, string[]>;
  /** The first Host value. */
  readonly host: string | undefined;
  /** The fields framing depends on, gathered while parsing (each list joined with ","; undefined = absent). */
  readonly transferEncoding: string | undefined;
  readonly contentLength: string | undefined;
  readonly upgrade: boolean;
  readonly connection: string | undefined;
}

const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) +(\S+) +(HTTP\/\d\.\d) *$/;
const STATUS_LINE = /^(HTTP\/\d\.\d) +(\d{3})(?: .*)?$/;

/** Parses a head (terminating empty line optional); undefined when the start line is not HTTP/1.x. */
export function parseHead(text: string, request: boolean): MessageHead | undefined {
  let eol = text.indexOf('\n');
  const first = text.slice(0, lineEnd(text, 0, eol));
  let method = '';
  let uri = '';
  let proto: string;
  let statusCode = 0;
  if (request) {
    const m = REQUEST_LINE.exec(first);
    if (!m) return undefined;
    [, method = '', uri = '', proto = ''] = m;
  } else {
    const m = STATUS_LINE.exec(first);
    if (!m) return undefined;
    proto = m[1] ?? '';
    statusCode = Number(m[2]);
  }
  const fields: Record<string, string[]> = {};
  let last: string[] | undefined; // the values of the field on the line before
  let transferEncoding: string | undefined;
  let contentLength: string | undefined;
  let upgrade = false;
  let connection: string | undefined;
  // Lines are walked by index: a field costs the strings of its name and value, nothing more.
  let colon = -2; // the first ':' at or after a position before this line (-1: none left, -2: not looked for)
  while (eol >= 0) {
    const from = eol + 1;
    eol = text.indexOf('\n', from);
    const to = lineEnd(text, from, eol);
    if (to === from) break;
    const c = text.charCodeAt(from);
    if ((c === 0x20 || c === 0x09) && last) {
      const folded = `${last[last.length - 1]} ${text.slice(from, to).trim()}`.trim(); // obs-fold: RFC 9112 5.2
      last[last.length - 1] = folded;
      continue;
    }
    if (colon !== -1 && colon < from) colon = text.indexOf(':', from);
    if (colon <= from || colon >= to) continue;
    const key = headerKey(text.slice(from, colon));
    if (key === undefined) continue;
    const value = valueOf(text, colon + 1, to);
    last = add(fields, key, value);
    if (key === 'Transfer-Encoding')
      transferEncoding = transferEncoding === undefined ? value : `${transferEncoding},${value}`;
    else if (key === 'Content-Length')
      contentLength = contentLength === undefined ? value : `${contentLength},${value}`;
    else if (key === 'Upgrade') upgrade = true;
    else if (key === 'Connection') connection = connection === undefined ? value : `${connection},${value}`;
  }
  // A folded continuation of a framing header is not re-read: obsolete, and nobody folds those.
  return {
    request,
    method,
    uri,
    proto,
    statusCode,
    fields,
    host: Object.hasOwn(fields, 'Host') ? fields.Host?.[0] : undefined, // folded lines included
    transferEncoding,
    contentLength,
    upgrade,
    connection,
  };
}

/** Appends a value to field `key`; returns its values. */
function add(fields: Record<string, string[]>, key: string, value: string): string[] {
  const values = Object.hasOwn(fields, key) ? fields[key] : undefined;
  if (values) {
    values.push(value);
    return values;
  }
  const created = [value];
  // defineProperty: a header named __proto__ stays a header.
  if (key === '__proto__') Object.defineProperty(fields, key, { value: created, enumerable: true });
  else fields[key] = created;
  return created;
}

/** Where the line of `text` from `from` to `eol` (-1: the end) ends, without its CR. */
function lineEnd(text: string, from: number, eol: number): number {
  const to = eol < 0 ? text.length : eol;
  return to > from && text.charCodeAt(to - 1) === 0x0d ? to - 1 : to;
}

/** A field value, trimmed as String.prototype.trim does; the usual spaces after the colon cost no copy. */
function valueOf(text: string, from: number, to: number): string {
  let a = from;
  while (a < to && text.charCodeAt(a) === 0x20) a++;
  const value = text.slice(a, to);
  const trim = mayTrim(value.charCodeAt(0)) || mayTrim(value.charCodeAt(value.length - 1));
  return trim ? value.trim() : value;
}

/** Could trim() remove this character? Every whitespace and line terminator is ≤ 0x20, 0xA0 or ≥ 0x1680. */
function mayTrim(c: number): boolean {
  return c <= 0x20 || c === 0xa0 || c >= 0x1680;
}

/** The comma-separated tokens of a list header's values, lower case. */
export function tokens(list: string): string[] {
  return list
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}

/** The last of a list header's tokens, lower case (what tokens() would end with); undefined when none. */
function lastToken(list: string): string | undefined {
  for (let end = list.length; ;) {
    const comma = end > 0 ? list.lastIndexOf(',', end - 1) : -1;
    const token = list.slice(comma + 1, end).trim();
    if (token !== '') return token.toLowerCase();
    if (comma < 0) return undefined;
    end = comma;
  }
}

export const Framing = { None: 'none', Fixed: 'fixed', Chunked: 'chunked', Close: 'close' } as const;
export type Framing = (typeof Framing)[keyof typeof Framing];

export interface BodyFraming {
  readonly framing: Framing;
  /** Fixed only. */
  readonly length: number;
  /**
   * A response whose request was not seen (it may have answered a HEAD): a status line where its body
   * should begin means it has none.
   */
  readonly guessed?: boolean;
}

const NONE: BodyFraming = { framing: Framing.None, length: 0 };
const CLOSE: BodyFraming = { framing: Framing.Close, length: 0 };
const CHUNKED: BodyFraming = { framing: Framing.Chunked, length: 0 };

/**
 * Framing from the header fields alone (RFC 9112 6.3 rules 3-8); the caller handles what depends on the
 * exchange (HEAD, 1xx, 204, 304, CONNECT). An invalid Content-Length makes a response close-delimited and
 * a request bodiless (a server would answer 400 and close).
 */
export function framingOf(head: MessageHead): BodyFraming {
  if (head.transferEncoding !== undefined) {
    if (lastToken(head.transferEncoding) === 'chunked') return CHUNKED;
    return head.request ? NONE : CLOSE;
  }
  if (head.contentLength === undefined) return head.request ? NONE : CLOSE;
  const value = head.contentLength;
  const lengths = value.includes(',') ? value.split(',').map((s) => s.trim()) : [value.trim()];
  const first = lengths[0] ?? '';
  if (!/^\d{1,15}$/.test(first) || lengths.some((l) => l !== first)) return head.request ? NONE : CLOSE;
  const length = Number(first);
  return length === 0 ? NONE : { framing: Framing.Fixed, length };
}
