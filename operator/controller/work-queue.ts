// A controller work queue in the manner of client-go's: keys are deduplicated
// while waiting, a key is never processed by two workers at once (an add during
// processing re-queues it afterwards), failures back off exponentially between
// named bounds, and handlers may ask to be called again after a delay.

export const minRetryDelay = 500;
export const maxRetryDelay = 30_000;
export const maxConcurrentReconciles = 4;

export interface Outcome {
  requeueAfterMs?: number | undefined;
}
export type Handler = (key: string) => Promise<Outcome | void>;
export type ErrorSink = (key: string, error: unknown, retryInMs: number) => void;

export function retryDelay(failures: number): number {
  return Math.min(minRetryDelay * 2 ** Math.max(0, failures - 1), maxRetryDelay);
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly waiting = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { due: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly idle = new Set<() => void>();
  private wake: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly now: () => number = Date.now) {}

  get length(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.waiting.has(key)) return;
    this.waiting.add(key);
    this.queue.push(key);
    this.wake?.();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const due = this.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing !== undefined) {
      if (existing.due <= due) return;
      clearTimeout(existing.timer);
    }
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { due, timer });
  }

  addRateLimited(key: string): number {
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    const delay = retryDelay(failures);
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Runs `concurrency` workers until shutdown(); resolves when they have all finished. */
  async run(handler: Handler, onError: ErrorSink, concurrency = maxConcurrentReconciles): Promise<void> {
    const worker = async (): Promise<void> => {
      for (;;) {
        const key = await this.next();
        if (key === undefined) return;
        try {
          const outcome = await handler(key);
          this.forget(key);
          if (outcome?.requeueAfterMs !== undefined) this.addAfter(key, outcome.requeueAfterMs);
        } catch (error) {
          onError(key, error, this.addRateLimited(key));
        } finally {
          this.done(key);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  /** Stops accepting keys and lets workers exit once their current key is done. */
  shutdown(): void {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    this.waiting.clear();
    this.wake?.();
  }

  /** Resolves when nothing is queued or being processed (timers may be pending). */
  async drained(): Promise<void> {
    if (this.queue.length === 0 && this.processing.size === 0) return;
    await new Promise<void>((resolve) => this.idle.add(resolve));
  }

  private async next(): Promise<string | undefined> {
    for (;;) {
      if (this.stopped) return undefined;
      const key = this.queue.shift();
      if (key !== undefined) {
        this.waiting.delete(key);
        this.processing.add(key);
        return key;
      }
      await new Promise<void>((resolve) => {
        const previous = this.wake;
        this.wake = () => {
          this.wake = undefined;
          previous?.();
          resolve();
        };
      });
    }
  }

  private done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
    if (this.queue.length === 0 && this.processing.size === 0) {
      for (const resolve of this.idle) resolve();
      this.idle.clear();
    }
  }
}
