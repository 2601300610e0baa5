// The clock port of the writers: file names, file ages and the idle-rotation
// timer all go through it, so tests drive rotation by age with a fake clock.

export interface ClockTimer {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock time in milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `callback` once after `delayMs`; the timer never keeps the process alive. */
  setTimer(delayMs: number, callback: () => void): ClockTimer;
}

/** setTimeout fires at once for delays above 2^31-1 ms (24.8 days): longer timers re-arm in steps. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs, callback) {
    // performance.now() and Node's timers are monotonic: a wall-clock step moves neither.
    const due = performance.now() + delayMs;
    let handle: NodeJS.Timeout;
    const arm = (): void => {
      const left = due - performance.now();
      handle = setTimeout(left > MAX_TIMEOUT_MS ? arm : callback, Math.min(Math.max(left, 0), MAX_TIMEOUT_MS));
      handle.unref();
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
  },
};
