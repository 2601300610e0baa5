// A chunked body (RFC 9112 7.1) read passively: chunk-size lines (extensions ignored), chunk data counted
// but never copied, the CRLF after each chunk, and trailer lines up to the empty one. A gap inside chunk
// data is skipped; a line that is no chunk size ends the body as broken (it may start the next message).
const MAX_CHUNK_LINE = 1024;
const MAX_TRAILER_BYTES = 16 * 1024;
const CHUNK_SIZE = /^([0-9a-fA-F]{1,13}) *(;.*)?$/;

export const ChunkStatus = { Reading: 0, Done: 1, Broken: 2 } as const;
export type ChunkStatus = (typeof ChunkStatus)[keyof typeof ChunkStatus];

const Part = { Size: 0, Data: 1, DataEnd: 2, Trailer: 3 } as const;
type Part = (typeof Part)[keyof typeof Part];

export class ChunkedBody {
  status: ChunkStatus = ChunkStatus.Reading;
  /** Decoded body bytes so far (skipped gap bytes included). */
  bytes = 0;
  /** Broken at a line that was no chunk size: that line (CRLF restored), to be scanned for a start line. */
  badLine = '';
  private part: Part = Part.Size;
  private remaining = 0;
  private line = '';
  private trailerBytes = 0;

  reset(): void {
    this.status = ChunkStatus.Reading;
    this.bytes = 0;
    this.badLine = '';
    this.part = Part.Size;
    this.line = '';
  }

  /** Reads from `buf[i, end)` until the body is done or broken; returns where it stopped. */
  read(buf: Buffer, i: number, end: number): number {
    while (i < end && this.status === ChunkStatus.Reading) {
      if (this.part === Part.Data) {
        const n = Math.min(this.remaining, end - i);
        this.remaining -= n;
        this.bytes += n;
        i += n;
        if (this.remaining === 0) this.part = Part.DataEnd;
      } else if (this.part === Part.DataEnd) {
        const c = buf[i];
        if (c === 0x0d) i++;
        else if (c === 0x0a) {
          this.part = Part.Size;
          i++;
        } else this.status = ChunkStatus.Broken; // data longer than announced: stop before it
      } else i = this.readLine(buf, i, end);
    }
    return i;
  }

  /** True when the gap fell inside chunk data and was skipped; false breaks the body. */
  gap(bytes: number): boolean {
    if (this.part !== Part.Data || bytes > this.remaining) return false;
    this.remaining -= bytes;
    this.bytes += bytes;
    if (this.remaining === 0) this.part = Part.DataEnd;
    return true;
  }

  private readLine(buf: Buffer, i: number, end: number): number {
    let stop = i;
    while (stop < end && buf[stop] !== 0x0a) stop++; // a byte loop: indexOf on `buf` would not stop at `end`
    if (stop < end && this.line === '') return this.lineInPlace(buf, i, stop);
    this.line += buf.toString('latin1', i, stop);
    if (this.part === Part.Trailer) this.trailerBytes += stop - i;
    if (stop === end) {
      const tooLong =
        this.part === Part.Size ? this.line.length > MAX_CHUNK_LINE : this.trailerBytes > MAX_TRAILER_BYTES;
      if (tooLong) this.status = ChunkStatus.Broken;
      return end;
    }
    const line = this.line.endsWith('\r') ? this.line.slice(0, -1) : this.line;
    this.line = '';
    if (this.part === Part.Trailer) {
      if (line === '') this.status = ChunkStatus.Done;
      return stop + 1;
    }
    const size = CHUNK_SIZE.exec(line);
    if (!size) {
      this.broken(line);
      return stop + 1;
    }
    this.sized(parseInt(size[1] ?? '0', 16));
    return stop + 1;
  }

  /** A whole line in `buf[i, stop)` (`stop` is its LF): read from the bytes, as CHUNK_SIZE would match it. */
  private lineInPlace(buf: Buffer, i: number, stop: number): number {
    const to = stop > i && buf[stop - 1] === 0x0d ? stop - 1 : stop;
    if (this.part === Part.Trailer) {
      this.trailerBytes += stop - i;
      if (to === i) this.status = ChunkStatus.Done;
      return stop + 1;
    }
    let n = 0;
    let at = i;
    for (let digit = hexValue(buf[at]); digit >= 0 && at < to; digit = hexValue(buf[at])) {
      n = n * 16 + digit;
      at++;
    }
    const digits = at - i;
    while (at < to && buf[at] === 0x20) at++;
    let ok = digits >= 1 && digits <= 13 && (at === to || buf[at] === 0x3b);
    // After ';' anything but a CR (the regex's `.` matches no line terminator).
    for (let k = at; ok && k < to; k++) if (buf[k] === 0x0d) ok = false;
    if (ok) this.sized(n);
    else this.broken(buf.toString('latin1', i, to));
    return stop + 1;
  }

  private sized(n: number): void {
    if (n === 0) {
      this.part = Part.Trailer;
      this.trailerBytes = 0;
    } else {
      this.part = Part.Data;
      this.remaining = n;
    }
  }

  private broken(line: string): void {
    this.status = ChunkStatus.Broken;
    this.badLine = `${line}\r\n`;
  }
}

/** 0-15 for an ASCII hex digit, else -1. */
function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}
