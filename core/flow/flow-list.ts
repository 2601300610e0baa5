// An intrusive doubly linked list of flows in least-recently-used order (head = oldest): O(1) touch,
// remove and append, no allocation.
import type { Flow } from './flow.js';

export class FlowList {
  head: Flow | null = null;
  tail: Flow | null = null;
  size = 0;

  append(flow: Flow): void {
    flow.prev = this.tail;
    flow.next = null;
    if (this.tail) this.tail.next = flow;
    else this.head = flow;
    this.tail = flow;
    this.size++;
  }

  remove(flow: Flow): void {
    if (flow.prev) flow.prev.next = flow.next;
    else this.head = flow.next;
    if (flow.next) flow.next.prev = flow.prev;
    else this.tail = flow.prev;
    flow.prev = flow.next = null;
    this.size--;
  }

  touch(flow: Flow): void {
    if (this.tail === flow) return;
    this.remove(flow);
    this.append(flow);
  }
}
