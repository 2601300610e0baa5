// Encodes the few pcapng blocks a merged capture needs (little-endian, one section): a section
// header, an interface per node and capture interface (named, nanosecond timestamps), and enhanced
// packet blocks.

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_END = 0;
const OPT_COMMENT = 1;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const SHB_USERAPPL = 4;

const pad4 = (n: number): number => (n + 3) & ~3;

function options(list: [code: number, value: Buffer][]): Buffer {
  const size = list.reduce((sum, [, v]) => sum + 4 + pad4(v.length), 0) + 4;
  const out = Buffer.alloc(size);
  let at = 0;
  for (const [code, value] of list) {
    out.writeUInt16LE(code, at);
    out.writeUInt16LE(value.length, at + 2);
    value.copy(out, at + 4);
    at += 4 + pad4(value.length);
  }
  out.writeUInt16LE(OPT_END, at);
  return out;
}

function block(type: number, body: Buffer): Buffer {
  const length = 12 + body.length;
  const out = Buffer.alloc(length);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(length, 4);
  body.copy(out, 8);
  out.writeUInt32LE(length, length - 4);
  return out;
}

export function sectionHeader(application: string, comment?: string): Buffer {
  const fixed = Buffer.alloc(16);
  fixed.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
  fixed.writeUInt16LE(1, 4);
  fixed.writeUInt16LE(0, 6);
  fixed.writeBigInt64LE(-1n, 8); // section length unknown
  const opts: [number, Buffer][] = [[SHB_USERAPPL, Buffer.from(application)]];
  if (comment) opts.push([OPT_COMMENT, Buffer.from(comment)]);
  return block(SHB, Buffer.concat([fixed, options(opts)]));
}

export function interfaceDescription(linkType: number, name: string, description?: string): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16LE(linkType, 0);
  fixed.writeUInt32LE(0, 4); // snaplen: no limit
  const opts: [number, Buffer][] = [
    [IF_NAME, Buffer.from(name)],
    [IF_TSRESOL, Buffer.from([9])],
  ];
  if (description) opts.push([IF_DESCRIPTION, Buffer.from(description)]);
  return block(IDB, Buffer.concat([fixed, options(opts)]));
}

/** An enhanced packet block with a nanosecond timestamp (the interface's if_tsresol is 9). */
export function enhancedPacket(
  interfaceId: number,
  tsSec: number,
  tsNsec: number,
  data: Buffer,
  originalLength: number,
): Buffer {
  const out = Buffer.alloc(enhancedPacketLength(data.length));
  writeEnhancedPacket(out, 0, interfaceId, tsSec, tsNsec, data, 0, data.length, originalLength);
  return out;
}

export function enhancedPacketLength(captured: number): number {
  return 32 + pad4(captured);
}

/**
 * Writes an enhanced packet block into `out` at `at` (room for enhancedPacketLength bytes) and
 * returns the offset after it: the merge writes every block straight into one output buffer.
 */
export function writeEnhancedPacket(
  out: Buffer,
  at: number,
  interfaceId: number,
  tsSec: number,
  tsNsec: number,
  data: Buffer,
  dataOffset: number,
  captured: number,
  originalLength: number,
): number {
  const length = enhancedPacketLength(captured);
  // ns = tsSec × 10⁹ + tsNsec needs 61 bits: split in 16-bit steps so every product stays exact in a
  // double (no BigInt per packet).
  const low16 = tsSec % 0x10000;
  const x = low16 * 1e9 + tsNsec;
  const z = ((tsSec - low16) / 0x10000) * 1e9 + Math.floor(x / 0x10000);
  const high = Math.floor(z / 0x10000);
  const low = (z % 0x10000) * 0x10000 + (x % 0x10000);
  // Byte stores, not Buffer.writeUInt32LE (which validates each call) nor fill() for at most 3 bytes:
  // this runs once per merged packet.
  putU32le(out, at, EPB);
  putU32le(out, at + 4, length);
  putU32le(out, at + 8, interfaceId);
  putU32le(out, at + 12, high);
  putU32le(out, at + 16, low);
  putU32le(out, at + 20, captured);
  putU32le(out, at + 24, originalLength);
  data.copy(out, at + 28, dataOffset, dataOffset + captured);
  // Padding is zeroed: a reused output buffer holds old bytes.
  for (let p = at + 28 + captured; p < at + length - 4; p++) out[p] = 0;
  putU32le(out, at + length - 4, length);
  return at + length;
}

/** Little-endian u32 at `at`; the caller made room. */
function putU32le(out: Buffer, at: number, value: number): void {
  out[at] = value & 0xff;
  out[at + 1] = (value >>> 8) & 0xff;
  out[at + 2] = (value >>> 16) & 0xff;
  out[at + 3] = (value >>> 24) & 0xff;
}
