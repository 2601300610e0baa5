// Fencing of mutating requests by the operator's leader epoch (the Lease's
// leaseTransitions): a request whose non-zero epoch is lower than the highest
// one seen comes from a leader that lost its Lease and is refused. The highest
// epoch is persisted, so a restarted agent keeps refusing the stale leader.
import { status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { RequestError } from './request-error.js';

/** Where the highest epoch is kept (the state store). */
export interface EpochStore {
  leaderEpoch(): number;
  setLeaderEpoch(epoch: number): void;
}

/** An epoch store that forgets on restart (unit tests, tools). */
export function memoryEpochStore(initial = 0): EpochStore {
  let epoch = initial;
  return { leaderEpoch: () => epoch, setLeaderEpoch: (value) => void (epoch = value) };
}

export class LeaderFence {
  private highest: number;

  constructor(
    private readonly store: EpochStore,
    private readonly logger: Logger,
  ) {
    this.highest = store.leaderEpoch();
  }

  get highestEpoch(): number {
    return this.highest;
  }

  /**
   * Admits a request carrying `epoch` (0 = not fenced) or throws
   * FAILED_PRECONDITION; a higher epoch becomes the new highest, persisted
   * before the request runs.
   */
  admit(epoch: number | string | null | undefined, method: string): void {
    const value = Number(epoch ?? 0);
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RequestError(status.INVALID_ARGUMENT, 'leader_epoch', `${String(epoch)} is out of range`);
    }
    if (value === 0) return;
    if (value < this.highest) {
      this.logger.warn({ method, epoch: value, highestEpoch: this.highest }, 'Refused request from a stale leader');
      throw new RequestError(
        status.FAILED_PRECONDITION,
        'leader_epoch',
        `stale leader epoch ${value} < ${this.highest}`,
      );
    }
    if (value > this.highest) {
      this.store.setLeaderEpoch(value);
      if (this.highest > 0) this.logger.info({ epoch: value, previous: this.highest }, 'New leader epoch');
      this.highest = value;
    }
  }
}
