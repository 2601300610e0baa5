// The timers of a running session: Hubble's timeElapsed (from the first segment's start), the
// dead-man switch at the window end, and the heartbeat into the state store.
import type { Logger } from 'pino';
import type { Clock, ClockTimer } from '../output/clock.js';
import type { SessionSpec } from './session-spec.js';
import { StopReason } from './stop-condition.js';

export interface SessionTimerHooks {
  readonly firstStartMs: number;
  readonly heartbeatMs: number;
  stop(reason: StopReason): void;
  /** Records that the session is alive; returns false once it is not active (the beat stops). */
  beat(): boolean;
}

/** Arms every timer of `spec`; cancel them all with the returned list. */
export function armSessionTimers(
  clock: Clock,
  spec: SessionSpec,
  hooks: SessionTimerHooks,
  logger: Logger,
): ClockTimer[] {
  const timers: ClockTimer[] = [];
  const { limits, windowEndMs } = spec;
  if (limits.timeElapsedMs > 0) {
    const left = Math.max(0, limits.timeElapsedMs - (clock.now() - hooks.firstStartMs));
    timers.push(clock.setTimer(left, () => hooks.stop(StopReason.TimeElapsed)));
  }
  if (windowEndMs !== undefined) {
    // Dead-man switch: the wall-clock instant becomes a delay once, then the
    // timer runs on the monotonic clock, so clock steps do not move it.
    const left = Math.max(0, windowEndMs - clock.now());
    timers.push(
      clock.setTimer(left, () => {
        logger.info({ windowEnd: new Date(windowEndMs).toISOString() }, 'Window ended');
        hooks.stop(StopReason.Duration);
      }),
    );
  }
  const beat = (): void => {
    if (!hooks.beat()) return;
    timers.push(clock.setTimer(hooks.heartbeatMs, beat));
  };
  timers.push(clock.setTimer(hooks.heartbeatMs, beat));
  return timers;
}
