// metav1.Condition bookkeeping: lastTransitionTime moves only when status does.
import type { Condition } from './recording-view.js';

export const ConditionType = {
  Scheduled: 'Scheduled',
  Capturing: 'Capturing',
  Exported: 'Exported',
  Ready: 'Ready',
  /** A node's storage budget is full (present once a node was full). */
  StorageFull: 'StorageFull',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

/** Builds the desired condition, keeping the previous transition time when status did not change. */
export function condition(previous: Condition[] | undefined, desired: ConditionInput, now: number): Condition {
  const old = previous?.find((c) => c.type === desired.type);
  const lastTransitionTime = old !== undefined && old.status === desired.status ? old.lastTransitionTime : toTime(now);
  return { ...desired, lastTransitionTime };
}

/** metav1.Time: RFC 3339 with second precision. */
export function toTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
