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
  /** In order of appearance, names in Go's canonical form (what gost records). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The fields framing depends on, gathered while parsing (each list joined with ","; undefined = absent). */
  readonly transferEncoding?: string;
  readonly contentLength?: string;
  readonly upgrade?: boolean;
  readonly connection?: string;
}

const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) +(\S+) +(HTTP\/\d\.\d) *$/;
const STATUS_LINE = /^(HTTP\/\d\.\d) +(\d{3})(?: .*)?$/;

/** Parses a head (terminating empty line optional); undefined when the start line is not HTTP/1.x. */
export function parseHead(text: string, request: boolean): MessageHead | undefined {
  let eol = text.indexOf('\n');
  const first = lineAt(text, 0, eol);
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
  const headers: Array<[string, string]> = [];
  let transferEncoding: string | undefined;
  let contentLength: string | undefined;
  let upgrade = false;
  let connection: string | undefined;
  while (eol >= 0) {
    const from = eol + 1;
    eol = text.indexOf('\n', from);
    const line = lineAt(text, from, eol);
    if (line === '') break;
    const last = headers[headers.length - 1];
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      last[1] = `${last[1]} ${line.trim()}`.trim(); // obs-fold: one space, RFC 9112 5.2
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = headerKey(line.slice(0, colon));
    if (key === undefined) continue;
    const value = line.slice(colon + 1).trim();
    headers.push([key, value]);
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
    headers,
    ...(transferEncoding !== undefined && { transferEncoding }),
    ...(contentLength !== undefined && { contentLength }),
    ...(upgrade && { upgrade }),
    ...(connection !== undefined && { connection }),
  };
}

/** The line of `text` from `from` to `eol` (-1: the end), without its CR. */
function lineAt(text: string, from: number, eol: number): string {
  let to = eol < 0 ? text.length : eol;
  if (to > from && text.charCodeAt(to - 1) === 0x0d) to--;
  return text.slice(from, to);
}

/** Every value of header `name` (canonical form). */
export function headerValues(head: MessageHead, name: string): string[] {
  const out: string[] = [];
  for (const [n, v] of head.headers) if (n === name) out.push(v);
  return out;
}

/** The comma-separated tokens of a list header's values, lower case. */
export function tokens(list: string): string[] {
  return list
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
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

/**
 * Framing from the header fields alone (RFC 9112 6.3 rules 3-8); the caller handles what depends on the
 * exchange (HEAD, 1xx, 204, 304, CONNECT). An invalid Content-Length makes a response close-delimited and
 * a request bodiless (a server would answer 400 and close).
 */
export function framingOf(head: MessageHead): BodyFraming {
  if (head.transferEncoding !== undefined) {
    const codings = tokens(head.transferEncoding);
    if (codings.length === 0) return head.request ? NONE : CLOSE;
    if (codings[codings.length - 1] === 'chunked') return { framing: Framing.Chunked, length: 0 };
    return head.request ? NONE : CLOSE;
  }
  if (head.contentLength === undefined) return head.request ? NONE : CLOSE;
  const lengths = head.contentLength.split(',').map((s) => s.trim());
  const first = lengths[0] ?? '';
  if (!/^\d{1,15}$/.test(first) || lengths.some((l) => l !== first)) return head.request ? NONE : CLOSE;
  const length = Number(first);
  return length === 0 ? NONE : { framing: Framing.Fixed, length };
}
