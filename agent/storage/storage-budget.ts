// The node's one storage budget across all sessions (--storage-limit). Usage is counted in allocated
// blocks, as the kubelet counts it for eviction: every file below the data directory — capture
// files of every format while they grow, partial files, the state store — and the directories.
//
// How "never above the limit" holds between two measurements: every write asks first (grow(), from
// the output files; admit(), from the session for a whole batch), and is charged what it can take at
// most: its apparent size rounded up to whole blocks plus one block of slack. A measurement of the
// tree every MEASURE_INTERVAL_MS replaces estimates by what the disk says wherever the disk says more
// (file system metadata, speculative preallocation) and counts what nobody charged (the state store,
// directories, files of other writers). SAFETY_BYTES stay free for what grows between measurements
// without asking (the state store's write-ahead log, new directories). The room is also capped by
// statfs: what the volume has free, so a volume smaller than the budget never answers ENOSPC.
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Clock, ClockTimer } from '../output/clock.js';
import type { StorageLedger } from '../output/storage-ledger.js';
import type { StorageGate } from '../session/ports.js';
import { allocatedBytes, measureTree, volumeSpace } from './disk-usage.js';

export const MEASURE_INTERVAL_MS = 1000;
/** Kept free of data for what grows between two measurements without asking (see above). */
export const SAFETY_BYTES = 1024 * 1024;
/** Eviction starts this close to the room (5 % of it, at least 1 MiB) and frees twice that. */
export const EVICT_HEADROOM_FRACTION = 0.05;
export const MIN_EVICT_HEADROOM_BYTES = 1024 * 1024;

export interface StorageStatus {
  readonly usedBytes: number;
  /** 0 = no limit (only the volume's free space). */
  readonly limitBytes: number;
  /** What may still be written: the room left under the limit and on the volume. */
  readonly availableBytes: number;
  /** Writes were refused since the last one that found room. */
  readonly full: boolean;
}

/** Deletes files that may go (exported, past their TTL) until about `bytes` are freed; resolves with what it freed. */
export type Evictor = (bytes: number) => Promise<number>;

export interface StorageBudgetOptions {
  readonly dataDir: string;
  /** 0 = no limit. */
  readonly limitBytes: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class StorageBudget implements StorageLedger, StorageGate {
  /** What each tracked file is charged (≥ what it takes on disk). */
  private readonly charged = new Map<string, number>();
  private trackedBytes = 0;
  /** Measured bytes nobody charged: directories, the state store, other files. */
  private untrackedBytes = 0;
  /** Room for used(): min(limit, measured + free on the volume) - SAFETY_BYTES. */
  private room = 0;
  private blockSize = 4096;
  private isFull = false;
  private refusals = 0;
  private timer: ClockTimer | undefined;
  private measuring: Promise<void> | undefined;
  private evicting: Promise<void> | undefined;
  private evictor: Evictor | undefined;
  private lastMeasureMs = 0;
  /** After an eviction that found nothing to delete, the next one waits until then. */
  private evictIdleUntil = 0;
  private stopped = false;

  private constructor(private readonly options: StorageBudgetOptions) {}

  /** Measures the data directory once, then every MEASURE_INTERVAL_MS until stop(). */
  static async open(options: StorageBudgetOptions): Promise<StorageBudget> {
    const budget = new StorageBudget(options);
    await budget.measure();
    budget.schedule();
    return budget;
  }

  setEvictor(evictor: Evictor): void {
    this.evictor = evictor;
  }

  used(): number {
    return this.trackedBytes + this.untrackedBytes;
  }

  status(): StorageStatus {
    return {
      usedBytes: this.used(),
      limitBytes: this.options.limitBytes,
      availableBytes: Math.max(0, this.room - this.used()),
      full: this.isFull,
    };
  }

  /** StorageGate: room for `bytes` more in `files` files (block rounding added here)? Charges nothing. */
  admit(bytes: number, files: number): boolean {
    const need = bytes + files * 2 * this.blockSize;
    return this.fits(need);
  }

  /** StorageLedger: charges `path` for growing to `bytes` (apparent size). */
  grow(path: string, bytes: number): boolean {
    const estimate = this.estimate(bytes);
    const old = this.charged.get(path) ?? 0;
    const delta = estimate - old;
    if (delta <= 0) return true;
    if (!this.fits(delta)) return false;
    this.charged.set(path, estimate);
    this.trackedBytes += delta;
    this.maybeEvict();
    return true;
  }

  /** StorageLedger: the file is final; charge what it really takes from now on. */
  settled(path: string): void {
    void stat(path).then(
      (stats) => {
        if (this.charged.has(path)) this.setCharge(path, allocatedBytes(stats));
      },
      () => undefined,
    );
  }

  /** The file was deleted; `bytes` = what it took, for a file the budget only knew from a measurement. */
  forget(path: string, bytes = 0): void {
    const old = this.charged.get(path);
    if (old === undefined) {
      this.untrackedBytes = Math.max(0, this.untrackedBytes - bytes);
      return;
    }
    this.charged.delete(path);
    this.trackedBytes -= old;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** Measures the tree and the volume now (also what the timer does). */
  measure(): Promise<void> {
    this.measuring ??= this.measureOnce().finally(() => (this.measuring = undefined));
    return this.measuring;
  }

  private fits(bytes: number): boolean {
    if (this.used() + bytes <= this.room) {
      if (this.isFull) {
        this.isFull = false;
        this.options.logger.info({ ...this.status(), refusedWrites: this.refusals }, 'Storage budget has room again');
        this.refusals = 0;
      }
      return true;
    }
    this.refusals += 1;
    if (!this.isFull) {
      this.isFull = true;
      this.options.logger.warn({ ...this.status(), neededBytes: bytes }, 'Storage budget full, not writing');
    }
    this.maybeEvict(bytes);
    return false;
  }

  private estimate(apparentBytes: number): number {
    const blocks = Math.ceil(apparentBytes / this.blockSize) + 1;
    return blocks * this.blockSize;
  }

  private setCharge(path: string, bytes: number): void {
    this.trackedBytes += bytes - (this.charged.get(path) ?? 0);
    this.charged.set(path, bytes);
  }

  private async measureOnce(): Promise<void> {
    const before = new Set(this.charged.keys());
    const started = performance.now();
    const [tree, volume] = await Promise.all([measureTree(this.options.dataDir), volumeSpace(this.options.dataDir)]);
    this.lastMeasureMs = performance.now() - started;
    this.blockSize = volume.blockSize;
    let untracked = tree.totalBytes;
    for (const [path, bytes] of tree.files) {
      const charge = this.charged.get(path);
      if (charge === undefined) continue;
      untracked -= bytes;
      if (bytes > charge) this.setCharge(path, bytes);
    }
    // Deleted by someone else since (recovery, an operator by hand).
    for (const path of before) if (!tree.files.has(path)) this.forget(path);
    this.untrackedBytes = Math.max(0, untracked);
    const { limitBytes } = this.options;
    const onVolume = tree.totalBytes + volume.availableBytes;
    this.room = Math.max(0, Math.min(limitBytes > 0 ? limitBytes : Infinity, onVolume) - SAFETY_BYTES);
    this.maybeEvict();
  }

  private schedule(): void {
    if (this.stopped) return;
    // A tree so large that walking it takes long is walked less often (at most a tenth of the time).
    const interval = Math.max(MEASURE_INTERVAL_MS, 10 * this.lastMeasureMs);
    this.timer = this.options.clock.setTimer(interval, () => {
      this.measure().then(
        () => this.schedule(),
        (error: unknown) => {
          this.options.logger.error({ err: error }, 'Cannot measure the data directory');
          this.schedule();
        },
      );
    });
  }

  /** Starts evicting (one run at a time) when used() comes within the headroom of the room. */
  private maybeEvict(needed = 0): void {
    const evictor = this.evictor;
    if (evictor === undefined || this.evicting !== undefined) return;
    if (this.options.clock.now() < this.evictIdleUntil) return;
    const headroom = Math.max(MIN_EVICT_HEADROOM_BYTES, this.room * EVICT_HEADROOM_FRACTION);
    const over = this.used() + needed - (this.room - headroom);
    if (over <= 0) return;
    this.evicting = evictor(over + headroom)
      .then(
        (freed) => {
          if (freed > 0) this.options.logger.info({ freedBytes: freed, ...this.status() }, 'Evicted files');
          else this.evictIdleUntil = this.options.clock.now() + MEASURE_INTERVAL_MS;
        },
        (error: unknown) => this.options.logger.error({ err: error }, 'Cannot evict files'),
      )
      .finally(() => (this.evicting = undefined));
  }
}
