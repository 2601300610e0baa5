// Flows by 5-tuple, either direction: a symmetric hash of both endpoints into a Map of chains (no key strings,
// no per-packet allocation). Two LRU lists: open flows and closing ones (both FINs or a RST seen, kept a
// little while so the last ACKs count to them).
import type { PacketView } from '../decode/packet-view.js';
import { Flow, type Side } from './flow.js';
import { FlowList } from './flow-list.js';

function endpointHash(words: Uint32Array, port: number): number {
  let h = Math.imul((words[0] as number) ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (words[1] as number) ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ (words[2] as number) ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (words[3] as number) ^ (h >>> 13), 0xc2b2ae35);
  return Math.imul(h ^ port ^ (h >>> 16), 0x27d4eb2f);
}

function sameWords(x: Uint32Array, y: Uint32Array): boolean {
  return x[0] === y[0] && x[1] === y[1] && x[2] === y[2] && x[3] === y[3];
}

export class FlowTable {
  private readonly buckets = new Map<number, Flow>();
  readonly open = new FlowList();
  readonly closing = new FlowList();
  size = 0;
  /** Side of the packet in the flow the last lookup() returned. */
  side: Side = 0;
  /** The flow of the packet before: packets come in runs of one flow, so it is tried before hashing. */
  private recent: Flow | undefined;

  hashOf(view: PacketView): number {
    const h = (endpointHash(view.src, view.srcPort) + endpointHash(view.dst, view.dstPort)) | 0;
    return Math.imul(h ^ (view.protocol * 0x01000193) ^ view.family, 0x9e3779b1) | 0;
  }

  /** The packet's flow (the one of the packet before, else by hash), or undefined. */
  lookup(view: PacketView): Flow | undefined {
    const recent = this.recent;
    if (recent !== undefined && this.matches(recent, view)) return recent;
    const flow = this.find(view, this.hashOf(view));
    if (flow !== undefined) this.recent = flow;
    return flow;
  }

  private find(view: PacketView, hash: number): Flow | undefined {
    for (let f = this.buckets.get(hash); f; f = f.bucketNext ?? undefined) {
      if (this.matches(f, view)) return f;
    }
    return undefined;
  }

  /** Whether `view` belongs to `f`, either way; sets side. */
  private matches(f: Flow, view: PacketView): boolean {
    if (f.protocol !== view.protocol || f.family !== view.family) return false;
    if (f.portA === view.srcPort && f.portB === view.dstPort && sameWords(f.a, view.src) && sameWords(f.b, view.dst)) {
      this.side = 0;
      return true;
    }
    if (f.portA === view.dstPort && f.portB === view.srcPort && sameWords(f.a, view.dst) && sameWords(f.b, view.src)) {
      this.side = 1;
      return true;
    }
    return false;
  }

  /** A new flow whose side A is the packet's sender. */
  insert(view: PacketView, hash: number): Flow {
    const flow = new Flow();
    flow.family = view.family;
    flow.a.set(view.src);
    flow.b.set(view.dst);
    flow.portA = view.srcPort;
    flow.portB = view.dstPort;
    flow.protocol = view.protocol;
    flow.hash = hash;
    flow.bucketNext = this.buckets.get(hash) ?? null;
    this.buckets.set(hash, flow);
    this.open.append(flow);
    this.size++;
    this.side = 0;
    this.recent = flow;
    return flow;
  }

  touch(flow: Flow): void {
    (flow.closing ? this.closing : this.open).touch(flow);
  }

  markClosing(flow: Flow): void {
    if (flow.closing) return;
    this.open.remove(flow);
    flow.closing = true;
    this.closing.append(flow);
  }

  remove(flow: Flow): void {
    if (this.recent === flow) this.recent = undefined;
    (flow.closing ? this.closing : this.open).remove(flow);
    let f = this.buckets.get(flow.hash);
    if (f === flow) {
      if (flow.bucketNext) this.buckets.set(flow.hash, flow.bucketNext);
      else this.buckets.delete(flow.hash);
    } else {
      while (f && f.bucketNext !== flow) f = f.bucketNext ?? undefined;
      if (f) f.bucketNext = flow.bucketNext;
    }
    flow.bucketNext = null;
    this.size--;
  }
}
