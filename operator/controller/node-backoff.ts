// Per-node retry backoff, kept in memory by the reconciler (not in status, so a
// retry does not cost a status write): a transient failure on a node (agent
// unreachable, a start that hit a deadline) is tried again after a delay that
// doubles between named bounds, without slowing the Recording's other nodes.
import type { NodeRetry } from './decide.js';

export const minNodeRetryDelay = 500;
/** Lower than the work queue's 30 s: the window is open and the node should record as soon as it can. */
export const maxNodeRetryDelay = 10_000;

export function nodeRetryDelay(failures: number): number {
  return Math.min(minNodeRetryDelay * 2 ** Math.max(0, failures - 1), maxNodeRetryDelay);
}

export class NodeBackoff {
  private readonly entries = new Map<string, NodeRetry & { failures: number }>();

  failed(key: string, error: string, now: number): NodeRetry {
    const failures = (this.entries.get(key)?.failures ?? 0) + 1;
    const entry = { error, failures, notBefore: now + nodeRetryDelay(failures) };
    this.entries.set(key, entry);
    return entry;
  }

  succeeded(key: string): void {
    this.entries.delete(key);
  }

  get(key: string): NodeRetry | undefined {
    return this.entries.get(key);
  }

  /** The entry, only while its delay has not passed. */
  waiting(key: string, now: number): NodeRetry | undefined {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.notBefore > now ? entry : undefined;
  }

  /** Forgets every key starting with `prefix` (a deleted Recording). */
  forget(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  /** The earliest notBefore among keys starting with `prefix`, after `now`. */
  nextRetry(prefix: string, now: number): number | undefined {
    let next: number | undefined;
    for (const [key, e] of this.entries) {
      if (key.startsWith(prefix) && e.notBefore > now) next = Math.min(next ?? Infinity, e.notBefore);
    }
    return next;
  }
}
