// Test helper: a Clock whose time only moves when the test says so.
import type { Clock, ClockTimer } from '../clock.js';

interface Pending {
  readonly at: number;
  readonly callback: () => void;
  cancelled: boolean;
}

export class FakeClock implements Clock {
  private readonly timers: Pending[] = [];

  constructor(private current = 1_800_000_000_000) {}

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, callback: () => void): ClockTimer {
    const timer: Pending = { at: this.current + delayMs, callback, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Moves time forward and runs the timers that fall due, in order. */
  advance(ms: number): void {
    this.current += ms;
    for (;;) {
      const due = this.timers
        .filter((t) => !t.cancelled && t.at <= this.current)
        .sort((a, b) => a.at - b.at)
        .at(0);
      if (due === undefined) return;
      due.cancelled = true;
      due.callback();
    }
  }

  /** Moves time forward without running any timer (a timer that is late). */
  skip(ms: number): void {
    this.current += ms;
  }

  /** Timers still waiting. */
  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
