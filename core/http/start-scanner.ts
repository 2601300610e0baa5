// Looking for where the next message starts, in one direction's bytes: at the stream's start (is this
// HTTP at all?) and after a gap or a framing error (resynchronise). Candidates are line starts, where a
// segment's bytes begin (a sender usually starts a message in a new segment, and a gap may end anywhere),
// and a start line embedded right after a body that could not be framed. A possible start line cut short
// by the end of a segment is held until the next one decides it.
import { embeddedStart, Match, matchRequestLine, matchStatusLine } from './start-line.js';

/** Scanning converts at most this much to text at once. */
const SCAN_SLICE = 64 * 1024;

export interface ScanResult {
  readonly found: boolean;
  /** found: the start line's text held from earlier segments (it continues at `next`), else "". */
  readonly held: string;
  /** Where in the buffer reading goes on: the start line (or after `held`), or past what was scanned. */
  readonly next: number;
  /** Not found: a possible start line began in this segment and is held now. */
  readonly startedHere: boolean;
}

export class StartScanner {
  /** Text of a possible start line cut short by the end of a segment. */
  private held = '';

  constructor(private readonly request: boolean) {}

  reset(text = ''): void {
    this.held = text;
  }

  scan(buf: Buffer, i: number, end: number): ScanResult {
    const take = Math.min(end, i + SCAN_SLICE);
    const base = this.held.length;
    const text = this.held + buf.toString('latin1', i, take);
    const match = this.request ? matchRequestLine : matchStatusLine;
    // The embedded candidate is searched once per pass, not once per line.
    let embedded = embeddedStart(text, 1, this.request);
    for (let pos = 0; pos >= 0 && pos < text.length;) {
      const m = match(text, pos);
      if (m === Match.Yes) {
        this.held = '';
        if (pos < base) return { found: true, held: text.slice(pos, base), next: i, startedHere: false };
        return { found: true, held: '', next: i + (pos - base), startedHere: false };
      }
      if (m === Match.More) {
        this.held = text.slice(pos);
        return { found: false, held: '', next: take, startedHere: pos >= base };
      }
      if (embedded >= 0 && embedded <= pos) embedded = embeddedStart(text, pos + 1, this.request);
      const eol = text.indexOf('\n', pos);
      let next = eol < 0 ? text.length : eol + 1;
      if (base > pos && base < next) next = base;
      if (embedded >= 0 && embedded < next) next = embedded;
      pos = next;
    }
    this.held = '';
    return { found: false, held: '', next: take, startedHere: false };
  }
}
