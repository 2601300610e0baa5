// Leader election over a coordination.k8s.io/v1 Lease, as client-go does it:
// acquire when the Lease is free or expired, renew every retryPeriod, give up
// leadership when renewing failed for renewDeadline. Writes are guarded by
// resourceVersion, so two replicas can never both believe they hold it.
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
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private leading = false;
  private lastRenew = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    kubeConfig: KubeConfig,
    private readonly o: LeaderElectionOptions,
  ) {
    this.api = kubeConfig.makeApiClient(CoordinationV1Api);
    this.leaseDurationMs = o.leaseDurationMs ?? defaultLeaseTiming.leaseDurationMs;
    this.renewDeadlineMs = o.renewDeadlineMs ?? defaultLeaseTiming.renewDeadlineMs;
    this.retryPeriodMs = o.retryPeriodMs ?? defaultLeaseTiming.retryPeriodMs;
  }

  get isLeader(): boolean {
    return this.leading;
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
    try {
      held = await this.tryAcquireOrRenew();
    } catch (error) {
      this.o.log.debug({ err: error }, 'Lease update failed');
    }
    if (this.stopped) return;
    const now = Date.now();
    if (held) {
      this.lastRenew = now;
      this.setLeading(true);
    } else if (this.leading && now - this.lastRenew > this.renewDeadlineMs) {
      this.setLeading(false);
    } else if (this.leading && !held) {
      // Another replica holds a valid Lease: we lost it.
      this.setLeading(false);
    }
    this.timer = setTimeout(() => void this.tick(), this.retryPeriodMs);
    this.timer.unref();
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    if (leading) {
      this.o.log.info({ lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity }, 'Became leader');
      this.o.onStartedLeading();
    } else {
      // Stepping down on shutdown is expected; losing the Lease while running is not.
      if (this.stopped) this.o.log.info({ identity: this.o.identity }, 'Released leadership');
      else this.o.log.warn({ identity: this.o.identity }, 'Lost leadership');
      this.o.onStoppedLeading();
    }
  }

  private spec(acquire: boolean, previous?: V1Lease): V1Lease['spec'] {
    const now = new V1MicroTime(Date.now());
    const transitions = previous?.spec?.leaseTransitions ?? 0;
    return {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: acquire ? now : new V1MicroTime(millis(previous?.spec?.acquireTime)),
      renewTime: now,
      leaseTransitions: acquire && previous !== undefined ? transitions + 1 : transitions,
    };
  }

  /** True when this replica holds the Lease after the call. Throws on API errors. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace } = this.o;
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (!(error instanceof ApiException) || error.code !== 404) throw error;
      await this.api.createNamespacedLease({
        namespace,
        body: { metadata: { name, namespace }, spec: this.spec(true) },
      });
      return true;
    }
    const holder = lease.spec?.holderIdentity;
    const mine = holder === this.o.identity;
    const renewed = millis(lease.spec?.renewTime);
    const duration = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
    const expired = holder === undefined || holder === '' || renewed + duration < Date.now();
    if (!mine && !expired) return false;
    lease.spec = this.spec(!mine, lease);
    await this.api.replaceNamespacedLease({ name, namespace, body: lease });
    return true;
  }
}

/** client-node hands MicroTime fields back as strings despite their Date type. */
function millis(time: Date | string | undefined): number {
  if (time === undefined) return 0;
  return new Date(time).getTime();
}
