// Merges time-ordered packet sources into one pcapng in timestamp order with a binary heap: memory
// is one read chunk and one pending packet per input, whatever the inputs' sizes. Each (input,
// interface) becomes one output interface, named by the caller (e.g. "<node>/<interface>"), declared
// just before its first packet.
import { enhancedPacketLength, interfaceDescription, sectionHeader, writeEnhancedPacket } from './pcapng-encoder.js';
import { NEED_READ, type MergePacket, type PacketSource } from './packet-source.js';

export interface ByteSink {
  write(data: Buffer): Promise<void>;
}

export interface MergeInput {
  readonly source: PacketSource;
  /** The output interface's name and description for the input's interface `index`. */
  interfaceName(index: number): { name: string; description?: string };
}

export interface MergeResult {
  readonly packets: number;
  readonly interfaces: readonly string[];
}

interface Head {
  readonly input: number;
  packet: MergePacket;
}

const before = (a: Head, b: Head): boolean =>
  a.packet.tsSec !== b.packet.tsSec
    ? a.packet.tsSec < b.packet.tsSec
    : a.packet.tsNsec !== b.packet.tsNsec
      ? a.packet.tsNsec < b.packet.tsNsec
      : a.input < b.input;

class Heap {
  readonly items: Head[] = [];
  push(item: Head): void {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!before(a[i]!, a[parent]!)) break;
      const swap = a[i]!;
      a[i] = a[parent]!;
      a[parent] = swap;
      i = parent;
    }
  }
  /** The top's input has its next packet: the top object is reused (no object per packet). */
  advanceTop(packet: MergePacket): void {
    this.items[0]!.packet = packet;
    this.down(0);
  }
  popTop(): void {
    const last = this.items.pop()!;
    if (this.items.length === 0) return;
    this.items[0] = last;
    this.down(0);
  }
  private down(start: number): void {
    const a = this.items;
    for (let i = start; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && before(a[l]!, a[m]!)) m = l;
      if (r < a.length && before(a[r]!, a[m]!)) m = r;
      if (m === i) return;
      const swap = a[i]!;
      a[i] = a[m]!;
      a[m] = swap;
      i = m;
    }
  }
}

const FLUSH_BYTES = 1 << 20;

export async function mergeToPcapng(
  inputs: readonly MergeInput[],
  out: ByteSink,
  comment?: string,
): Promise<MergeResult> {
  const heap = new Heap();
  for (let i = 0; i < inputs.length; i++) {
    const packet = await inputs[i]!.source.next();
    if (packet) heap.push({ input: i, packet });
  }
  // Output interface ids per input, keyed by interface index and link type.
  const ids = inputs.map(() => new Map<number, number>());
  const names: string[] = [];
  // Blocks are written straight into one buffer, handed to the sink when full (the sink keeps it: a
  // new one is taken for the next batch).
  let buffer = Buffer.allocUnsafe(FLUSH_BYTES * 2);
  let used = 0;
  const append = (block: Buffer): void => {
    block.copy(buffer, used);
    used += block.length;
  };
  const flush = async (): Promise<void> => {
    const full = buffer.subarray(0, used);
    buffer = Buffer.allocUnsafe(FLUSH_BYTES * 2);
    used = 0;
    await out.write(full);
  };
  append(sectionHeader('tapedeck fetch', comment));
  let packets = 0;
  while (heap.items.length > 0) {
    const top = heap.items[0]!;
    const { packet } = top;
    const key = packet.interfaceIndex * 0x10000 + packet.linkType;
    let id = ids[top.input]!.get(key);
    if (id === undefined) {
      id = names.length;
      const { name, description } = inputs[top.input]!.interfaceName(packet.interfaceIndex);
      ids[top.input]!.set(key, id);
      names.push(name);
      const idb = interfaceDescription(packet.linkType, name, description);
      if (used + idb.length > buffer.length) await flush();
      append(idb);
    }
    const length = enhancedPacketLength(packet.captured);
    if (used + length > buffer.length) {
      if (used > 0) await flush();
      if (length > buffer.length) buffer = Buffer.allocUnsafe(length);
    }
    used = writeEnhancedPacket(
      buffer,
      used,
      id,
      packet.tsSec,
      packet.tsNsec,
      packet.buf,
      packet.offset,
      packet.captured,
      packet.originalLength,
    );
    packets++;
    if (used >= FLUSH_BYTES) await flush();
    const source = inputs[top.input]!.source;
    let next = source.take();
    if (next === NEED_READ) next = await source.next();
    if (next) heap.advanceTop(next);
    else heap.popTop();
  }
  if (used > 0) await flush();
  return { packets, interfaces: names };
}
