// Kubeshark's recording-job schedule as pure functions of (spec, anchor, now).
//
// - startTime "" starts at the anchor (the Recording's creationTimestamp, so the
//   answer does not change across operator restarts); an RFC 3339 instant starts
//   there; "HH:MM" starts at the first HH:MM UTC at or after the anchor — when the
//   time has already passed on the day of creation, the first run is the next day.
// - dailyIterations 0 repeats every 24 h forever, n runs n times (1 = once).
// - each iteration lasts `duration`. A duration longer than 24 h would overlap the
//   next iteration, so it is rejected unless dailyIterations is 1; 24 h exactly is
//   allowed (back-to-back windows). A zero duration is rejected.
import { parseDuration } from './duration.js';

export const DAY_MS = 86_400_000;

export interface ScheduleSpec {
  startTime?: string | undefined;
  dailyIterations?: number | undefined;
  duration?: string | undefined;
}

/** A validated schedule: iteration k (1-based) runs [firstStart + (k-1)·DAY, + durationMs). */
export interface Schedule {
  firstStart: number;
  iterations: number; // 0 = forever
  durationMs: number;
}

export const ScheduleErrorCode = {
  InvalidStartTime: 'TD_ERR_SCHEDULE_START_TIME',
  InvalidDuration: 'TD_ERR_SCHEDULE_DURATION',
  InvalidIterations: 'TD_ERR_SCHEDULE_ITERATIONS',
} as const;
export type ScheduleErrorCode = (typeof ScheduleErrorCode)[keyof typeof ScheduleErrorCode];

export class ScheduleError extends Error {
  constructor(
    readonly code: ScheduleErrorCode,
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${field}: ${message}`, options);
    this.name = 'ScheduleError';
  }
}

export const DEFAULT_DURATION = '60m';
const hhmm = /^([01]\d|2[0-3]):([0-5]\d)$/;
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function firstStart(startTime: string, anchor: number): number {
  if (startTime === '') return anchor;
  const daily = hhmm.exec(startTime);
  if (daily !== null) {
    const day = new Date(anchor);
    const today = Date.UTC(
      day.getUTCFullYear(),
      day.getUTCMonth(),
      day.getUTCDate(),
      Number(daily[1]),
      Number(daily[2]),
    );
    return today >= anchor ? today : today + DAY_MS;
  }
  const instant = rfc3339.test(startTime) ? Date.parse(startTime) : Number.NaN;
  if (Number.isNaN(instant)) {
    throw new ScheduleError(
      ScheduleErrorCode.InvalidStartTime,
      'spec.schedule.startTime',
      `${JSON.stringify(startTime)} is neither empty, an RFC 3339 instant nor HH:MM (UTC)`,
    );
  }
  return instant;
}

/** Validates a spec against its anchor (creation time, ms). Throws ScheduleError. */
export function parseSchedule(spec: ScheduleSpec, anchor: number): Schedule {
  const iterations = spec.dailyIterations ?? 1;
  if (!Number.isInteger(iterations) || iterations < 0) {
    throw new ScheduleError(ScheduleErrorCode.InvalidIterations, 'spec.schedule.dailyIterations', 'must be 0 or more');
  }
  let durationMs: number;
  try {
    durationMs = parseDuration(spec.duration ?? DEFAULT_DURATION);
  } catch (cause) {
    throw new ScheduleError(ScheduleErrorCode.InvalidDuration, 'spec.schedule.duration', 'is not a duration', {
      cause,
    });
  }
  if (durationMs <= 0) {
    throw new ScheduleError(ScheduleErrorCode.InvalidDuration, 'spec.schedule.duration', 'must be positive');
  }
  if (durationMs > DAY_MS && iterations !== 1) {
    throw new ScheduleError(
      ScheduleErrorCode.InvalidDuration,
      'spec.schedule.duration',
      'must be at most 24h when dailyIterations is not 1 (iterations would overlap)',
    );
  }
  return { firstStart: firstStart(spec.startTime ?? '', anchor), iterations, durationMs };
}

export const WindowState = {
  /** Before the first iteration. */
  Pending: 'Pending',
  /** Inside iteration `iteration`'s window. */
  Active: 'Active',
  /** Iteration `iteration` has ended, iteration + 1 starts at `nextStart`. */
  Between: 'Between',
  /** The last iteration (`iteration`) has ended. */
  Finished: 'Finished',
} as const;
export type WindowState = (typeof WindowState)[keyof typeof WindowState];

export interface ScheduleState {
  state: WindowState;
  /** Current or most recent iteration (1-based); 0 before the first. */
  iteration: number;
  /** Start and end of iteration `iteration`'s window (absent when iteration is 0). */
  windowStart?: number;
  windowEnd?: number;
  /** Start of the next iteration, if there is one. */
  nextStart?: number;
}

export function iterationStart(schedule: Schedule, iteration: number): number {
  return schedule.firstStart + (iteration - 1) * DAY_MS;
}

/** Where `now` falls in the schedule. */
export function scheduleAt(schedule: Schedule, now: number): ScheduleState {
  if (now < schedule.firstStart) {
    return { state: WindowState.Pending, iteration: 0, nextStart: schedule.firstStart };
  }
  let iteration = Math.floor((now - schedule.firstStart) / DAY_MS) + 1;
  if (schedule.iterations > 0) iteration = Math.min(iteration, schedule.iterations);
  const windowStart = iterationStart(schedule, iteration);
  const windowEnd = windowStart + schedule.durationMs;
  const last = schedule.iterations > 0 && iteration >= schedule.iterations;
  const nextStart = last ? undefined : iterationStart(schedule, iteration + 1);
  if (now < windowEnd) {
    return nextStart === undefined
      ? { state: WindowState.Active, iteration, windowStart, windowEnd }
      : { state: WindowState.Active, iteration, windowStart, windowEnd, nextStart };
  }
  if (nextStart === undefined) return { state: WindowState.Finished, iteration, windowStart, windowEnd };
  return { state: WindowState.Between, iteration, windowStart, windowEnd, nextStart };
}

/** The next instant after `now` at which scheduleAt's answer changes, if any. */
export function nextTransition(schedule: Schedule, now: number): number | undefined {
  const at = scheduleAt(schedule, now);
  switch (at.state) {
    case WindowState.Pending:
      return at.nextStart;
    case WindowState.Active:
      return at.windowEnd;
    case WindowState.Between:
      return at.nextStart;
    case WindowState.Finished:
      return undefined;
  }
}
