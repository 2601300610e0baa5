// pcapng timestamps: 64-bit counts of 10^-n or 2^-n seconds (if_tsresol, default 10^-6) plus if_tsoffset seconds.
export interface InterfaceClock {
  /** Units per second. */
  readonly unitsPerSecond: number;
  readonly offsetSeconds: number;
}

const OPT_END = 0;
const OPT_TSRESOL = 9;
const OPT_TSOFFSET = 14;
const TWO_32 = 4_294_967_296;

export function readInterfaceOptions(buf: Buffer, start: number, end: number, le: boolean): InterfaceClock {
  let unitsPerSecond = 1e6;
  let offsetSeconds = 0;
  let at = start;
  while (end - at >= 4) {
    const code = le ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
    const length = le ? buf.readUInt16LE(at + 2) : buf.readUInt16BE(at + 2);
    if (code === OPT_END || at + 4 + length > end) break;
    if (code === OPT_TSRESOL && length >= 1) {
      const r = buf[at + 4] ?? 6;
      const exponent = r & 0x7f;
      unitsPerSecond = r & 0x80 ? 2 ** Math.min(exponent, 63) : 10 ** Math.min(exponent, 19);
    } else if (code === OPT_TSOFFSET && length >= 8) {
      offsetSeconds = Number(le ? buf.readBigInt64LE(at + 4) : buf.readBigInt64BE(at + 4));
    }
    at += 4 + ((length + 3) & ~3);
  }
  return { unitsPerSecond, offsetSeconds };
}

/** Splits a 64-bit timestamp into whole seconds and nanoseconds without losing precision. */
export function toSecNsec(clock: InterfaceClock, hi: number, lo: number, out: { sec: number; nsec: number }): void {
  const units = clock.unitsPerSecond;
  const value = hi * TWO_32 + lo;
  if (value <= Number.MAX_SAFE_INTEGER) {
    const sec = Math.floor(value / units);
    out.sec = sec + clock.offsetSeconds;
    out.nsec = Math.floor(((value - sec * units) * 1e9) / units);
    return;
  }
  const big = (BigInt(hi) << 32n) | BigInt(lo);
  const bigUnits = BigInt(units);
  const sec = big / bigUnits;
  out.sec = Number(sec) + clock.offsetSeconds;
  out.nsec = Number(((big - sec * bigUnits) * 1_000_000_000n) / bigUnits);
}
