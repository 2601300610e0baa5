// pcapng (draft-ietf-opsawg-pcapng): sections with their own byte order, interfaces with their own link
// type and timestamp resolution (if_tsresol, if_tsoffset); Enhanced, Simple and obsolete Packet Blocks.
import { CaptureError, CaptureErrorCode } from './capture-error.js';
import { MAX_UNIT_BYTES, type CaptureParser } from './capture-parser.js';
import { isSupportedLinkType, linkTypeName, supportedLinkTypes } from './link-type.js';
import type { PacketSink } from './packet-sink.js';
import { readInterfaceOptions, toSecNsec, type InterfaceClock } from './pcapng-time.js';

export const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const IDB = 1;
const OPB = 2;
const SPB = 3;
const EPB = 6;

interface Interface extends InterfaceClock {
  readonly linkType: number;
  readonly snaplen: number;
}

export class PcapngParser implements CaptureParser {
  readonly format = 'pcapng';
  packets = 0;
  nextUnitBytes = 12;
  private position = 0;
  private littleEndian = true;
  private inSection = false;
  private interfaces: Interface[] = [];
  /** Interfaces declared by earlier sections: packets get file-wide interface indexes. */
  private interfaceBase = 0;
  private readonly ts = { sec: 0, nsec: 0 };

  constructor(private readonly sink: PacketSink) {}

  parse(buf: Buffer, start: number, end: number): number {
    let at = start;
    while (end - at >= 12) {
      const type = this.readType(buf, at);
      const le = this.littleEndian;
      const length = le ? buf.readUInt32LE(at + 4) : buf.readUInt32BE(at + 4);
      if (length < 12 || length % 4 !== 0 || length > MAX_UNIT_BYTES) {
        this.corrupt(`block length ${length} (must be a multiple of 4, 12 to ${MAX_UNIT_BYTES})`);
      }
      if (end - at < length) {
        this.nextUnitBytes = length;
        return at;
      }
      const trailer = le ? buf.readUInt32LE(at + length - 4) : buf.readUInt32BE(at + length - 4);
      if (trailer !== length) this.corrupt(`block length ${length} does not match its trailer ${trailer}`);
      this.block(type, buf, at, length);
      at += length;
      this.position += length;
    }
    this.nextUnitBytes = 12;
    return at;
  }

  finish(unconsumed: number): void {
    if (unconsumed === 0 && this.inSection) return;
    throw new CaptureError(
      CaptureErrorCode.Truncated,
      `truncated pcapng block at byte ${this.position}: ${unconsumed} of ${this.nextUnitBytes} bytes present`,
      this.position,
    );
  }

  /** Reads the block type; a Section Header Block sets the byte order of everything up to the next one. */
  private readType(buf: Buffer, at: number): number {
    if (buf.readUInt32BE(at) === PCAPNG_SHB) {
      const magic = buf.readUInt32BE(at + 8);
      if (magic === BYTE_ORDER_MAGIC) this.littleEndian = false;
      else if (magic === 0x4d3c2b1a) this.littleEndian = true;
      else this.corrupt('section header without a byte-order magic');
      return PCAPNG_SHB;
    }
    if (!this.inSection) {
      throw new CaptureError(CaptureErrorCode.NotACapture, 'not a pcapng file (no section header block)', 0);
    }
    return this.littleEndian ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
  }

  private block(type: number, buf: Buffer, at: number, length: number): void {
    const le = this.littleEndian;
    const u32 = (o: number): number => (le ? buf.readUInt32LE(at + o) : buf.readUInt32BE(at + o));
    switch (type) {
      case PCAPNG_SHB:
        if (length < 28) this.corrupt(`section header block of ${length} bytes`);
        this.inSection = true;
        this.interfaceBase += this.interfaces.length;
        this.interfaces = [];
        return;
      case IDB: {
        if (length < 20) this.corrupt(`interface description block of ${length} bytes`);
        const linkType = le ? buf.readUInt16LE(at + 8) : buf.readUInt16BE(at + 8);
        if (!isSupportedLinkType(linkType)) {
          throw new CaptureError(
            CaptureErrorCode.UnsupportedLinkType,
            `unsupported ${linkTypeName(linkType)} on interface ${this.interfaces.length}; supported: ${supportedLinkTypes()}`,
            this.position,
          );
        }
        const clock = readInterfaceOptions(buf, at + 16, at + length - 4, le);
        this.interfaces.push({ linkType, snaplen: u32(12), ...clock });
        return;
      }
      case EPB:
      case OPB: {
        if (length < 32) this.corrupt(`packet block of ${length} bytes`);
        const id = type === EPB ? u32(8) : le ? buf.readUInt16LE(at + 8) : buf.readUInt16BE(at + 8);
        const captured = u32(20);
        if (28 + captured > length - 4) this.corrupt(`captured length ${captured} exceeds its block`);
        this.emit(id, buf, at + 28, captured, u32(24), u32(12), u32(16));
        return;
      }
      case SPB: {
        if (length < 16) this.corrupt(`simple packet block of ${length} bytes`);
        const original = u32(8);
        this.emit(0, buf, at + 12, Math.min(original, length - 16), original, 0, 0);
        return;
      }
      default:
        return; // name resolution, statistics, custom and unknown blocks carry no packets
    }
  }

  private emit(id: number, buf: Buffer, offset: number, cap: number, orig: number, hi: number, lo: number): void {
    const iface = this.interfaces[id];
    if (!iface) this.corrupt(`packet on undeclared interface ${id}`);
    toSecNsec(iface, hi, lo, this.ts);
    this.packets++;
    this.sink.packet(buf, offset, cap, orig, this.ts.sec, this.ts.nsec, iface.linkType, this.interfaceBase + id);
  }

  private corrupt(message: string): never {
    throw new CaptureError(
      CaptureErrorCode.Corrupt,
      `corrupt pcapng at byte ${this.position}: ${message}`,
      this.position,
    );
  }
}
