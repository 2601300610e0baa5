// IPv4 and IPv6 fragment reassembly, bounded: at most MAX_DATAGRAMS held at once, each at most 64 KiB,
// dropped after FRAGMENT_TIMEOUT seconds of packet time. Fragments are copied (they are rare); a complete
// datagram comes back as one new buffer holding the transport header and payload.
export const MAX_DATAGRAMS = 1024;
export const FRAGMENT_TIMEOUT = 30;
const MAX_DATAGRAM_BYTES = 65_535;

interface Part {
  readonly offset: number;
  readonly data: Buffer;
}

interface Pending {
  readonly first: number;
  parts: Part[];
  total: number; // -1 until the last fragment is seen
  frames: number;
  wireLength: number;
}

export interface Reassembled {
  readonly data: Buffer;
  readonly frames: number;
  readonly wireLength: number;
}

export interface FragmentStats {
  held: number;
  reassembled: number;
  dropped: number;
}

export class FragmentReassembler {
  private readonly pending = new Map<string, Pending>();
  readonly stats: FragmentStats = { held: 0, reassembled: 0, dropped: 0 };

  /** Adds one fragment; returns the datagram once every byte from 0 to the last fragment's end is present. */
  add(
    key: string,
    time: number,
    offset: number,
    more: boolean,
    buf: Buffer,
    start: number,
    end: number,
    wireLength: number,
  ): Reassembled | undefined {
    this.expire(time);
    let entry = this.pending.get(key);
    if (!entry) {
      if (this.pending.size >= MAX_DATAGRAMS) this.dropOldest();
      entry = { first: time, parts: [], total: -1, frames: 0, wireLength: 0 };
      this.pending.set(key, entry);
    }
    entry.frames++;
    entry.wireLength += wireLength;
    if (offset + (end - start) > MAX_DATAGRAM_BYTES) {
      this.pending.delete(key);
      this.stats.dropped++;
      return undefined;
    }
    entry.parts.push({ offset, data: Buffer.from(buf.subarray(start, end)) });
    if (!more) entry.total = offset + (end - start);
    this.stats.held = this.pending.size;
    if (entry.total < 0) return undefined;
    const data = assemble(entry.parts, entry.total);
    if (!data) return undefined;
    this.pending.delete(key);
    this.stats.held = this.pending.size;
    this.stats.reassembled++;
    return { data, frames: entry.frames, wireLength: entry.wireLength };
  }

  private expire(time: number): void {
    for (const [key, entry] of this.pending) {
      if (time - entry.first < FRAGMENT_TIMEOUT) return;
      this.pending.delete(key);
      this.stats.dropped++;
    }
  }

  private dropOldest(): void {
    const oldest = this.pending.keys().next();
    if (!oldest.done) this.pending.delete(oldest.value);
    this.stats.dropped++;
  }
}

/** First copy wins where fragments overlap; undefined while a hole remains. */
function assemble(parts: Part[], total: number): Buffer | undefined {
  const sorted = [...parts].sort((a, b) => a.offset - b.offset);
  let covered = 0;
  for (const part of sorted) {
    if (part.offset > covered) return undefined;
    covered = Math.max(covered, part.offset + part.data.length);
  }
  if (covered < total) return undefined;
  const out = Buffer.alloc(total);
  const filled = new Uint8Array(total);
  for (const part of parts) {
    for (let i = 0; i < part.data.length && part.offset + i < total; i++) {
      if (filled[part.offset + i]) continue;
      out[part.offset + i] = part.data[i] ?? 0;
      filled[part.offset + i] = 1;
    }
  }
  return out;
}
