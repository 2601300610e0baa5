// Big-endian reads for the per-packet decoders, whose callers have checked the bounds already:
// Buffer's readUInt16BE/readUInt32BE validate their offset on every call, a cost paid per field per
// packet (they showed in perf on a 64-byte flood). Out of range reads give 0 bits, never throw.
export function u16be(buf: Uint8Array, at: number): number {
  return (((buf[at] ?? 0) << 8) | (buf[at + 1] ?? 0)) >>> 0;
}

export function u32be(buf: Uint8Array, at: number): number {
  return (((buf[at] ?? 0) << 24) | ((buf[at + 1] ?? 0) << 16) | ((buf[at + 2] ?? 0) << 8) | (buf[at + 3] ?? 0)) >>> 0;
}
