import { describe, expect, it } from 'vitest';
import { DAY_MS, ScheduleError, nextTransition, parseSchedule, scheduleAt } from './schedule.js';
import type { ScheduleSpec, ScheduleState } from './schedule.js';

const t = (iso: string): number => Date.parse(iso);
const created = t('2026-03-10T10:00:00Z');

describe('parseSchedule', () => {
  it.each<[string, ScheduleSpec, string, number, number]>([
    ['empty startTime starts at creation', { startTime: '', duration: '5m' }, '2026-03-10T10:00:00Z', 1, 300_000],
    ['absent fields use defaults', {}, '2026-03-10T10:00:00Z', 1, 3_600_000],
    ['an RFC 3339 instant', { startTime: '2026-03-12T08:30:00Z' }, '2026-03-12T08:30:00Z', 1, 3_600_000],
    [
      'an RFC 3339 instant with offset',
      { startTime: '2026-03-12T10:30:00+02:00' },
      '2026-03-12T08:30:00Z',
      1,
      3_600_000,
    ],
    ['an instant in the past', { startTime: '2026-03-01T00:00:00Z' }, '2026-03-01T00:00:00Z', 1, 3_600_000],
    ['HH:MM later today', { startTime: '14:15', dailyIterations: 3 }, '2026-03-10T14:15:00Z', 3, 3_600_000],
    ['HH:MM already passed today', { startTime: '08:45', dailyIterations: 0 }, '2026-03-11T08:45:00Z', 0, 3_600_000],
    ['HH:MM exactly now', { startTime: '10:00' }, '2026-03-10T10:00:00Z', 1, 3_600_000],
    ['HH:MM at midnight', { startTime: '00:00' }, '2026-03-11T00:00:00Z', 1, 3_600_000],
    ['24h duration daily', { duration: '24h', dailyIterations: 0 }, '2026-03-10T10:00:00Z', 0, DAY_MS],
    ['over 24h when running once', { duration: '36h', dailyIterations: 1 }, '2026-03-10T10:00:00Z', 1, 36 * 3_600_000],
  ])('should accept %s', (_name, spec, start, iterations, durationMs) => {
    expect(parseSchedule(spec, created)).toEqual({ firstStart: t(start), iterations, durationMs });
  });

  it.each<[string, ScheduleSpec, string]>([
    ['a garbage startTime', { startTime: 'tomorrow' }, 'spec.schedule.startTime'],
    ['an hour out of range', { startTime: '24:00' }, 'spec.schedule.startTime'],
    ['a date without time', { startTime: '2026-03-12' }, 'spec.schedule.startTime'],
    ['a zero duration', { duration: '0s' }, 'spec.schedule.duration'],
    ['a bad duration', { duration: '5 minutes' }, 'spec.schedule.duration'],
    ['over 24h when repeating', { duration: '25h', dailyIterations: 2 }, 'spec.schedule.duration'],
    ['over 24h forever', { duration: '25h', dailyIterations: 0 }, 'spec.schedule.duration'],
    ['negative iterations', { dailyIterations: -1 }, 'spec.schedule.dailyIterations'],
    ['fractional iterations', { dailyIterations: 1.5 }, 'spec.schedule.dailyIterations'],
  ])('should reject %s naming the field', (_name, spec, field) => {
    const run = (): unknown => parseSchedule(spec, created);
    expect(run).toThrow(ScheduleError);
    expect(run).toThrow(field);
  });
});

describe('scheduleAt', () => {
  // Daily at 08:45 for 3 days, 30 minutes each, created after 08:45 on the 10th.
  const daily = parseSchedule({ startTime: '08:45', dailyIterations: 3, duration: '30m' }, created);
  const at = (iso: string): ScheduleState => scheduleAt(daily, t(iso));
  const w = (day: number): { windowStart: number; windowEnd: number } => ({
    windowStart: t(`2026-03-${day}T08:45:00Z`),
    windowEnd: t(`2026-03-${day}T09:15:00Z`),
  });

  it.each<[string, ScheduleState]>([
    ['2026-03-10T10:00:00Z', { state: 'Pending', iteration: 0, nextStart: t('2026-03-11T08:45:00Z') }],
    ['2026-03-11T08:44:59Z', { state: 'Pending', iteration: 0, nextStart: t('2026-03-11T08:45:00Z') }],
    ['2026-03-11T08:45:00Z', { state: 'Active', iteration: 1, ...w(11), nextStart: t('2026-03-12T08:45:00Z') }],
    ['2026-03-11T09:14:59Z', { state: 'Active', iteration: 1, ...w(11), nextStart: t('2026-03-12T08:45:00Z') }],
    ['2026-03-11T09:15:00Z', { state: 'Between', iteration: 1, ...w(11), nextStart: t('2026-03-12T08:45:00Z') }],
    ['2026-03-12T08:44:59Z', { state: 'Between', iteration: 1, ...w(11), nextStart: t('2026-03-12T08:45:00Z') }],
    ['2026-03-12T09:00:00Z', { state: 'Active', iteration: 2, ...w(12), nextStart: t('2026-03-13T08:45:00Z') }],
    ['2026-03-12T23:59:59Z', { state: 'Between', iteration: 2, ...w(12), nextStart: t('2026-03-13T08:45:00Z') }],
    ['2026-03-13T08:45:00Z', { state: 'Active', iteration: 3, ...w(13) }],
    ['2026-03-13T09:14:59Z', { state: 'Active', iteration: 3, ...w(13) }],
    ['2026-03-13T09:15:00Z', { state: 'Finished', iteration: 3, ...w(13) }],
    ['2026-03-14T08:50:00Z', { state: 'Finished', iteration: 3, ...w(13) }],
    ['2027-01-01T00:00:00Z', { state: 'Finished', iteration: 3, ...w(13) }],
  ])('should place %s correctly in a 3-day daily schedule', (now, expected) => {
    expect(at(now)).toEqual(expected);
  });

  it.each<[number, number, number]>([
    [0, 0, 1],
    [1, 0, 2],
    [5, 1, 6],
    [100, 10, 101],
    [1000, 23, 1001],
  ])('should keep repeating forever (day %i, hour %i → iteration %i)', (day, hour, iteration) => {
    const forever = parseSchedule({ startTime: '', dailyIterations: 0, duration: '2h' }, created);
    const now = created + day * DAY_MS + hour * 3_600_000;
    const state = scheduleAt(forever, now);
    expect(state.iteration).toBe(iteration);
    expect(state.state).toBe(hour < 2 ? 'Active' : 'Between');
    expect(state.nextStart).toBe(created + day * DAY_MS + DAY_MS);
  });

  it('should run back-to-back windows with a 24h duration', () => {
    const s = parseSchedule({ dailyIterations: 2, duration: '24h' }, created);
    expect(scheduleAt(s, created + DAY_MS - 1)).toMatchObject({ state: 'Active', iteration: 1 });
    expect(scheduleAt(s, created + DAY_MS)).toMatchObject({ state: 'Active', iteration: 2 });
    expect(scheduleAt(s, created + 2 * DAY_MS)).toMatchObject({ state: 'Finished', iteration: 2 });
  });

  it('should finish a single run after its duration', () => {
    const s = parseSchedule({ startTime: '', duration: '3s' }, created);
    expect(scheduleAt(s, created + 2_999)).toMatchObject({ state: 'Active', iteration: 1 });
    expect(scheduleAt(s, created + 3_000)).toEqual({
      state: 'Finished',
      iteration: 1,
      windowStart: created,
      windowEnd: created + 3_000,
    });
  });
});

describe('nextTransition', () => {
  const s = parseSchedule({ startTime: '12:00', dailyIterations: 2, duration: '1h' }, created);
  it.each<[string, string | undefined]>([
    ['2026-03-10T11:00:00Z', '2026-03-10T12:00:00Z'],
    ['2026-03-10T12:30:00Z', '2026-03-10T13:00:00Z'],
    ['2026-03-10T13:00:00Z', '2026-03-11T12:00:00Z'],
    ['2026-03-11T12:00:00Z', '2026-03-11T13:00:00Z'],
    ['2026-03-11T13:00:00Z', undefined],
  ])('should at %s be %s', (now, next) => {
    expect(nextTransition(s, t(now))).toBe(next === undefined ? undefined : t(next));
  });
});
