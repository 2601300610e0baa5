// Leader election over a coordination.k8s.io/v1 Lease, as client-go does it:
// acquire when the Lease is free or expired, renew every retryPeriod, give up
// leadership when renewing failed for renewDeadline. Writes are guarded by
// resourceVersion. Three rules keep two replicas from acting at once:
// - expiry is timed from when this replica last *observed* the Lease record change,
//   by its own monotonic clock, never by comparing another machine's renewTime with
//   the local wall clock (clocks differ between nodes);
// - every attempt has a timeout, so a hanging API call cannot keep a leader past
//   renewDeadline (< leaseDuration); `canAct` is false once renewDeadline passed
//   without a renewal, even before the next tick runs (a process resumed after SIGSTOP);
// - fencing: `epoch` (leaseTransitions + 1 as written when acquiring) travels with
//   every mutating agent call, and agents refuse a lower one than they have seen.
import { ApiException, CoordinationV1Api, V1MicroTime } from '@kubernetes/client-node';
import type { KubeConfig, V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';

export const defaultLeaseTiming = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 } as const;

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  log: Logger;
  /** Wall clock for the times written into the Lease (tests offset it); default Date.now. */
  wallClock?: () => number;
  /** Monotonic clock for every duration; default performance.now. */
  monotonic?: () => number;
}

export class LeaseTimeoutError extends Error {
  readonly code = 'TD_ERR_LEASE_TIMEOUT';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LeaseTimeoutError(`Lease request timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly wall: () => number;
  private readonly mono: () => number;
  private leading = false;
  private lastRenew = 0;
  private observed: { record: string; at: number } | undefined;
  private currentEpoch = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private frozen = false;

  constructor(
    kubeConfig: KubeConfig,
    private readonly o: LeaderElectionOptions,
  ) {
    this.api = kubeConfig.makeApiClient(CoordinationV1Api);
    this.leaseDurationMs = o.leaseDurationMs ?? defaultLeaseTiming.leaseDurationMs;
    this.renewDeadlineMs = o.renewDeadlineMs ?? defaultLeaseTiming.renewDeadlineMs;
    this.retryPeriodMs = o.retryPeriodMs ?? defaultLeaseTiming.retryPeriodMs;
    if (this.renewDeadlineMs >= this.leaseDurationMs)
      throw new Error('renewDeadline must be shorter than leaseDuration');
    this.wall = o.wallClock ?? Date.now;
    this.mono = o.monotonic ?? (() => performance.now());
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Leading and renewed within renewDeadline: only then may this replica act. */
  get canAct(): boolean {
    return this.leading && !this.frozen && this.mono() - this.lastRenew < this.renewDeadlineMs;
  }

  /** The fencing epoch of this replica's leadership (leaseTransitions + 1; 0 while not leading). */
  get epoch(): number {
    return this.leading ? this.currentEpoch : 0;
  }

  start(): void {
    void this.tick();
  }

  /** Stops campaigning without releasing the Lease (as if the process died); for tests. */
  abandon(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.leading = false;
  }

  /**
   * Stops renewing but keeps believing it leads, as a process paused by SIGSTOP does; calls already past
   * the leadership check still go out. For tests of fencing.
   */
  freeze(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  /** Stops campaigning; a leader releases the Lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (!this.leading) return;
    this.setLeading(false);
    try {
      const lease = await this.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
      if (lease.spec?.holderIdentity !== this.o.identity) return;
      lease.spec = { ...lease.spec, holderIdentity: undefined, renewTime: undefined, leaseDurationSeconds: 1 };
      await this.api.replaceNamespacedLease({ name: this.o.name, namespace: this.o.namespace, body: lease });
      this.o.log.info('Released leader lease');
    } catch (error) {
      this.o.log.warn({ err: error }, 'Failed to release leader lease');
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let held = false;
    // A leader's attempt may not outlast its renew deadline; a candidate's is bounded too.
    const budget = this.leading
      ? Math.max(1, this.lastRenew + this.renewDeadlineMs - this.mono())
      : Math.max(this.retryPeriodMs * 2, 1_000);
    try {
      held = await withTimeout(this.tryAcquireOrRenew(), budget);
    } catch (error) {
      this.o.log.debug({ err: error }, 'Lease update failed');
    }
    if (this.stopped) return;
    const now = this.mono();
    if (held) {
      this.lastRenew = now;
      this.setLeading(true);
    } else if (this.leading) {
      // Renewing failed past the deadline, or another replica holds a valid Lease: either way, not ours.
      if (now - this.lastRenew >= this.renewDeadlineMs) this.setLeading(false);
    }
    this.timer = setTimeout(() => void this.tick(), this.retryPeriodMs);
    this.timer.unref();
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    if (leading) {
      this.o.log.info(
        { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity, epoch: this.currentEpoch },
        'Became leader',
      );
      this.o.onStartedLeading();
    } else {
      // Stepping down on shutdown is expected; losing the Lease while running is not.
      if (this.stopped) this.o.log.info({ identity: this.o.identity }, 'Released leadership');
      else this.o.log.warn({ identity: this.o.identity }, 'Lost leadership');
      this.o.onStoppedLeading();
    }
  }

  private spec(acquire: boolean, previous?: V1Lease): V1Lease['spec'] {
    const now = new V1MicroTime(this.wall());
    const transitions = previous?.spec?.leaseTransitions ?? 0;
    return {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: acquire ? now : new V1MicroTime(millis(previous?.spec?.acquireTime)),
      renewTime: now,
      leaseTransitions: acquire && previous !== undefined ? transitions + 1 : transitions,
    };
  }

  /** Whether the Lease record has not changed for a lease duration, as observed by this replica. */
  private expired(lease: V1Lease): boolean {
    const s = lease.spec;
    const record = JSON.stringify([s?.holderIdentity, s?.renewTime, s?.leaseTransitions, s?.acquireTime]);
    const now = this.mono();
    if (this.observed?.record !== record) this.observed = { record, at: now };
    const holder = s?.holderIdentity;
    if (holder === undefined || holder === null || holder === '') return true;
    const duration = (s?.leaseDurationSeconds ?? 0) * 1000;
    return now - this.observed.at > duration;
  }

  /** True when this replica holds the Lease after the call. Throws on API errors. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace } = this.o;
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (!(error instanceof ApiException) || error.code !== 404) throw error;
      const spec = this.spec(true);
      await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec } });
      this.currentEpoch = (spec?.leaseTransitions ?? 0) + 1;
      return true;
    }
    const mine = lease.spec?.holderIdentity === this.o.identity;
    if (!mine && !this.expired(lease)) return false;
    // Holding it, but not as this leadership knew it (another replica acquired in between): start over.
    if (mine && this.leading && (lease.spec?.leaseTransitions ?? 0) + 1 !== this.currentEpoch) return false;
    lease.spec = this.spec(!mine, lease);
    const written = await this.api.replaceNamespacedLease({ name, namespace, body: lease });
    this.currentEpoch = (written.spec?.leaseTransitions ?? 0) + 1;
    return true;
  }
}

/** client-node hands MicroTime fields back as strings despite their Date type. */
function millis(time: Date | string | undefined): number {
  if (time === undefined) return 0;
  return new Date(time).getTime();
}
