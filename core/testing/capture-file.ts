// Test helper: pcap and pcapng files in memory, either byte order.
export interface Frame {
  readonly data: Buffer;
  /** Seconds (float). */
  readonly time: number;
  readonly originalLength?: number;
}

export interface PcapOptions {
  readonly linkType?: number;
  readonly littleEndian?: boolean;
  readonly nanoseconds?: boolean;
  readonly snaplen?: number;
}

export function pcapFile(frames: readonly Frame[], options: PcapOptions = {}): Buffer {
  const le = options.littleEndian ?? true;
  const ns = options.nanoseconds ?? false;
  const header = Buffer.alloc(24);
  const w32 = (b: Buffer, v: number, o: number): number =>
    le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o);
  const w16 = (b: Buffer, v: number, o: number): number => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  w32(header, ns ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(header, 2, 4);
  w16(header, 4, 6);
  w32(header, options.snaplen ?? 262144, 16);
  w32(header, options.linkType ?? 1, 20);
  const parts: Buffer[] = [header];
  for (const f of frames) {
    const r = Buffer.alloc(16);
    const sec = Math.floor(f.time);
    const frac = Math.round((f.time - sec) * (ns ? 1e9 : 1e6));
    w32(r, sec, 0);
    w32(r, frac, 4);
    w32(r, f.data.length, 8);
    w32(r, f.originalLength ?? f.data.length, 12);
    parts.push(r, f.data);
  }
  return Buffer.concat(parts);
}

function pad4(b: Buffer): Buffer {
  return b.length % 4 === 0 ? b : Buffer.concat([b, Buffer.alloc(4 - (b.length % 4))]);
}

export function pcapngBlock(type: number, body: Buffer, le = true): Buffer {
  const padded = pad4(body);
  const b = Buffer.alloc(12 + padded.length);
  const w32 = (v: number, o: number): number => (le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
  w32(type, 0);
  w32(b.length, 4);
  padded.copy(b, 8);
  w32(b.length, b.length - 4);
  return b;
}

export interface PcapngSection {
  readonly littleEndian?: boolean;
  readonly linkType?: number;
  /** if_tsresol byte (default 6: microseconds). */
  readonly tsresol?: number;
  readonly frames: readonly Frame[];
}

export function pcapngFile(sections: readonly PcapngSection[]): Buffer {
  const parts: Buffer[] = [];
  for (const s of sections) {
    const le = s.littleEndian ?? true;
    const w32 = (b: Buffer, v: number, o: number): number =>
      le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o);
    const w16 = (b: Buffer, v: number, o: number): number => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
    const shb = Buffer.alloc(16);
    w32(shb, 0x1a2b3c4d, 0);
    w16(shb, 1, 4);
    shb.writeBigInt64LE(-1n, 8);
    parts.push(pcapngBlock(0x0a0d0d0a, shb, le));
    const resol = s.tsresol ?? 6;
    const idb = Buffer.alloc(8 + 8 + 4);
    w16(idb, s.linkType ?? 1, 0);
    w32(idb, 262144, 4);
    w16(idb, 9, 8); // if_tsresol
    w16(idb, 1, 10);
    idb[12] = resol;
    parts.push(pcapngBlock(1, idb, le));
    const units = resol & 0x80 ? 2 ** (resol & 0x7f) : 10 ** resol;
    for (const f of s.frames) {
      const epb = Buffer.alloc(20);
      const ts = (BigInt(Math.round(f.time * 1e6)) * BigInt(units)) / 1_000_000n;
      w32(epb, 0, 0);
      w32(epb, Number(ts >> 32n), 4);
      w32(epb, Number(ts & 0xffffffffn), 8);
      w32(epb, f.data.length, 12);
      w32(epb, f.originalLength ?? f.data.length, 16);
      parts.push(pcapngBlock(6, Buffer.concat([epb, f.data]), le));
    }
  }
  return Buffer.concat(parts);
}
