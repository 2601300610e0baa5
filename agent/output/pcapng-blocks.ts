// Small builder for the non-hot pcapng blocks (section header, interface
// description, interface statistics): body fields and options, padded to 32
// bits, framed by the block type and total length, in host byte order.
import { HOST_LITTLE_ENDIAN } from './file-encoder.js';

export const BlockType = {
  SectionHeader: 0x0a0d0d0a,
  InterfaceDescription: 0x00000001,
  InterfaceStatistics: 0x00000005,
  EnhancedPacket: 0x00000006,
} as const;
export type BlockType = (typeof BlockType)[keyof typeof BlockType];

const MAX_OPTION_BYTES = 0xffff;

/**
 * Splits seconds + nanoseconds into the high and low 32 bits of the 64-bit
 * nanosecond count, exactly (every intermediate stays below 2^53).
 */
export function nanosecondsSplit(seconds: number, nanos: number): [number, number] {
  const q = (seconds >>> 16) * 1e9;
  const qHigh = Math.floor(q / 65536);
  const low = (q - qHigh * 65536) * 65536 + (seconds & 0xffff) * 1e9 + nanos;
  const carry = Math.floor(low / 4294967296);
  return [qHigh + carry, low - carry * 4294967296];
}

/** nanosecondsSplit for a wall-clock time in milliseconds. */
export function epochMsSplit(epochMs: number): [number, number] {
  const ms = Math.max(0, Math.floor(epochMs));
  return nanosecondsSplit(Math.floor(ms / 1000), (ms % 1000) * 1e6);
}

export class BlockBuilder {
  private readonly parts: Buffer[] = [];
  private hasOptions = false;

  constructor(private readonly type: BlockType) {}

  u16(value: number): this {
    return this.push(2, (view) => view.setUint16(0, value, HOST_LITTLE_ENDIAN));
  }

  u32(value: number): this {
    return this.push(4, (view) => view.setUint32(0, value, HOST_LITTLE_ENDIAN));
  }

  option(code: number, value: Buffer): this {
    const length = Math.min(value.length, MAX_OPTION_BYTES);
    this.u16(code).u16(length);
    const padded = Buffer.alloc((length + 3) & ~3);
    value.copy(padded, 0, 0, length);
    this.parts.push(padded);
    this.hasOptions = true;
    return this;
  }

  stringOption(code: number, value: string): this {
    return this.option(code, Buffer.from(value, 'utf8'));
  }

  u64Option(code: number, value: number): this {
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64LE(BigInt(Math.max(0, Math.floor(value))));
    return this.option(code, HOST_LITTLE_ENDIAN ? bytes : bytes.reverse());
  }

  /** A timestamp option in the interface's resolution (nanoseconds): high word first. */
  timestampOption(code: number, epochMs: number): this {
    const [high, low] = epochMsSplit(epochMs);
    const bytes = Buffer.alloc(8);
    const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
    view.setUint32(0, high, HOST_LITTLE_ENDIAN);
    view.setUint32(4, low, HOST_LITTLE_ENDIAN);
    return this.option(code, bytes);
  }

  finish(): Buffer {
    if (this.hasOptions) this.u16(0).u16(0); // opt_endofopt
    const body = Buffer.concat(this.parts);
    const total = body.length + 12;
    const block = Buffer.alloc(total);
    const view = new DataView(block.buffer, block.byteOffset, total);
    view.setUint32(0, this.type, HOST_LITTLE_ENDIAN);
    view.setUint32(4, total, HOST_LITTLE_ENDIAN);
    body.copy(block, 8);
    view.setUint32(total - 4, total, HOST_LITTLE_ENDIAN);
    return block;
  }

  private push(bytes: number, fill: (view: DataView) => void): this {
    const part = Buffer.alloc(bytes);
    fill(new DataView(part.buffer, part.byteOffset, bytes));
    this.parts.push(part);
    return this;
  }
}
