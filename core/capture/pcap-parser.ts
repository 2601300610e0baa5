// Classic pcap (draft-ietf-opsawg-pcap): a 24-byte file header, then 16-byte record headers and data.
// Either byte order, microsecond or nanosecond timestamps.
import { CaptureError, CaptureErrorCode } from './capture-error.js';
import { MAX_CAPTURED_LENGTH, type CaptureParser } from './capture-parser.js';
import { isSupportedLinkType, linkTypeName, supportedLinkTypes } from './link-type.js';
import type { PacketSink } from './packet-sink.js';

const HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const MAGIC_US_SWAPPED = 0xd4c3b2a1;
const MAGIC_NS_SWAPPED = 0x4d3cb2a1;

export function isPcapMagic(magicBigEndian: number): boolean {
  return [MAGIC_US, MAGIC_NS, MAGIC_US_SWAPPED, MAGIC_NS_SWAPPED].includes(magicBigEndian);
}

export class PcapParser implements CaptureParser {
  readonly format = 'pcap';
  packets = 0;
  nextUnitBytes = HEADER_BYTES;
  private position = 0; // bytes consumed so far (for error offsets)
  private haveHeader = false;
  private littleEndian = true;
  private nsecMultiplier = 1000;
  private linkType = 0;
  private maxCaptured = MAX_CAPTURED_LENGTH;

  constructor(private readonly sink: PacketSink) {}

  parse(buf: Buffer, start: number, end: number): number {
    let at = start;
    if (!this.haveHeader) {
      if (end - at < HEADER_BYTES) return at;
      this.readHeader(buf, at);
      at += HEADER_BYTES;
      this.position += HEADER_BYTES;
    }
    const le = this.littleEndian;
    const sink = this.sink;
    const linkType = this.linkType;
    const mul = this.nsecMultiplier;
    while (end - at >= RECORD_HEADER_BYTES) {
      const captured = le ? buf.readUInt32LE(at + 8) : buf.readUInt32BE(at + 8);
      if (captured > this.maxCaptured) {
        throw new CaptureError(
          CaptureErrorCode.Corrupt,
          `corrupt pcap record at byte ${this.position}: captured length ${captured} exceeds ${this.maxCaptured}`,
          this.position,
        );
      }
      const total = RECORD_HEADER_BYTES + captured;
      if (end - at < total) {
        this.nextUnitBytes = total;
        return at;
      }
      const sec = le ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
      const frac = le ? buf.readUInt32LE(at + 4) : buf.readUInt32BE(at + 4);
      const original = le ? buf.readUInt32LE(at + 12) : buf.readUInt32BE(at + 12);
      this.packets++;
      sink.packet(buf, at + RECORD_HEADER_BYTES, captured, original, sec, frac * mul, linkType);
      at += total;
      this.position += total;
    }
    this.nextUnitBytes = RECORD_HEADER_BYTES;
    return at;
  }

  finish(unconsumed: number): void {
    if (unconsumed === 0 && this.haveHeader) return;
    const what = this.haveHeader ? 'record' : 'file header';
    throw new CaptureError(
      CaptureErrorCode.Truncated,
      `truncated pcap ${what} at byte ${this.position}: ${unconsumed} of ${this.nextUnitBytes} bytes present`,
      this.position,
    );
  }

  private readHeader(buf: Buffer, at: number): void {
    const magic = buf.readUInt32BE(at);
    if (!isPcapMagic(magic)) {
      throw new CaptureError(CaptureErrorCode.NotACapture, 'not a pcap file (bad magic number)', 0);
    }
    this.littleEndian = magic === MAGIC_US_SWAPPED || magic === MAGIC_NS_SWAPPED;
    this.nsecMultiplier = magic === MAGIC_NS || magic === MAGIC_NS_SWAPPED ? 1 : 1000;
    const le = this.littleEndian;
    const major = le ? buf.readUInt16LE(at + 4) : buf.readUInt16BE(at + 4);
    if (major !== 2) {
      throw new CaptureError(CaptureErrorCode.NotACapture, `not a pcap file this reader knows (version ${major})`, 4);
    }
    const snaplen = le ? buf.readUInt32LE(at + 16) : buf.readUInt32BE(at + 16);
    this.maxCaptured = Math.max(snaplen, MAX_CAPTURED_LENGTH);
    this.linkType = (le ? buf.readUInt32LE(at + 20) : buf.readUInt32BE(at + 20)) & 0xffff;
    if (!isSupportedLinkType(this.linkType)) {
      throw new CaptureError(
        CaptureErrorCode.UnsupportedLinkType,
        `unsupported ${linkTypeName(this.linkType)}; supported: ${supportedLinkTypes()}`,
        20,
      );
    }
    this.haveHeader = true;
    this.nextUnitBytes = RECORD_HEADER_BYTES;
  }
}
