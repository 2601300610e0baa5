// The agent's export queue: every closed file goes to the destination, with bounded concurrency,
// a checkpoint in the state store after every acknowledged part, retries with backoff that never
// give up (the file stays on the node until it is exported or expires), and one manifest per node
// and iteration rewritten at most every MANIFEST_INTERVAL_MS while files arrive and once at the end.
// Failures are reported through `events` (status, Events, metrics) — never logged and dropped.
import type { Clock, ClockTimer } from '../output/clock.js';
import { MANIFEST_SCHEMA_VERSION, serializeManifest } from '../../core/manifest/manifest.js';
import type { Manifest, ManifestFile } from '../../core/manifest/manifest.js';
import { manifestKey, objectKey, runKeyPrefix } from '../../core/manifest/object-key.js';
import type { RunLocation } from '../../core/manifest/object-key.js';
import { ExportError, ExportErrorCode } from './export-error.js';
import type { ExportTarget } from './export-target.js';
import type { UploadCheckpoint, UploadResult } from './upload-checkpoint.js';

export const MANIFEST_INTERVAL_MS = 10_000;
export const MIN_RETRY_DELAY_MS = 500;
export const MAX_RETRY_DELAY_MS = 30_000;
export const DEFAULT_EXPORT_CONCURRENCY = 2;

export interface ExportFile {
  /** The state store's id of the file. */
  readonly id: string;
  readonly path: string;
  readonly fileName: string;
  readonly run: RunLocation;
  /** What the manifest says of the file, except what the upload tells (key, bytes, sha256). */
  readonly entry: Omit<ManifestFile, 'key' | 'bytes' | 'sha256'>;
  /** Left by an earlier attempt, perhaps by an earlier process. */
  readonly checkpoint?: UploadCheckpoint;
}

/** The state store's side: persist progress before the queue goes on. */
export interface ExportJournal {
  saveCheckpoint(fileId: string, checkpoint: UploadCheckpoint): Promise<void>;
  exported(fileId: string, file: ManifestFile): Promise<void>;
}

export interface ExportEvents {
  exported?(file: ExportFile, entry: ManifestFile, result: UploadResult): void;
  failed?(file: ExportFile, error: ExportError, attempt: number, retryInMs: number): void;
  manifestWritten?(run: RunLocation, key: string, manifest: Manifest): void;
  manifestFailed?(run: RunLocation, error: ExportError): void;
}

export interface RunExportState {
  readonly pending: number;
  readonly exported: number;
  readonly failedAttempts: number;
  readonly lastError?: string;
  readonly manifestComplete: boolean;
}

interface RunEntry {
  readonly run: RunLocation;
  readonly files: Map<string, ManifestFile>;
  pending: number;
  failedAttempts: number;
  lastError?: string;
  finished: boolean;
  manifestComplete: boolean;
  manifestTimer?: ClockTimer;
  lastManifestAt: number;
  writingManifest: Promise<void>;
}

export interface ExportQueueOptions {
  readonly target: ExportTarget;
  readonly journal: ExportJournal;
  readonly clock: Clock;
  readonly concurrency?: number;
  readonly events?: ExportEvents;
  /**
   * Asked after a failure: true drops the file instead of retrying (it is gone from the node, e.g. a
   * TTL removed it before it could be exported). Default: retry for ever.
   */
  readonly giveUp?: (file: ExportFile, error: ExportError) => Promise<boolean>;
}

export class ExportQueue {
  private readonly waiting: { file: ExportFile; attempt: number }[] = [];
  private readonly runs = new Map<string, RunEntry>();
  private readonly timers = new Set<ClockTimer>();
  private readonly abort = new AbortController();
  private active = 0;
  private idle: (() => void)[] = [];
  /** The newest checkpoint of each file's upload, so that a retry continues instead of starting over. */
  private readonly checkpoints = new Map<string, UploadCheckpoint>();

  constructor(private readonly options: ExportQueueOptions) {}

  /** A closed file to export; `exported` when an earlier process already did (it feeds the manifest). */
  add(file: ExportFile, exported?: ManifestFile): void {
    const run = this.runFor(file.run);
    if (exported) {
      run.files.set(file.id, exported);
      return;
    }
    run.pending++;
    this.waiting.push({ file, attempt: 0 });
    this.pump();
  }

  /** The node's run ended: once its files are exported the manifest is written complete. */
  finishRun(location: RunLocation): void {
    const run = this.runFor(location);
    run.finished = true;
    this.scheduleManifest(run);
  }

  state(location: RunLocation): RunExportState | undefined {
    const run = this.runs.get(runKeyPrefix(location));
    if (!run) return undefined;
    return {
      pending: run.pending,
      exported: run.files.size,
      failedAttempts: run.failedAttempts,
      lastError: run.lastError,
      manifestComplete: run.manifestComplete,
    };
  }

  /** Resolves when nothing is waiting, uploading or due to be written (tests, shutdown). */
  async drained(): Promise<void> {
    // The queue's own timers never keep the process alive; whoever awaits this does.
    const keepAlive = setInterval(() => {}, 60_000);
    try {
      while (this.active > 0 || this.waiting.length > 0 || this.timers.size > 0) {
        await new Promise<void>((resolve) => this.idle.push(resolve));
      }
      await Promise.all([...this.runs.values()].map((r) => r.writingManifest));
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** Stops uploading; checkpoints already saved let the next process resume. */
  close(): void {
    this.abort.abort();
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    for (const r of this.runs.values()) r.manifestTimer?.cancel();
    this.notifyIdle();
  }

  private runFor(location: RunLocation): RunEntry {
    const id = runKeyPrefix(location);
    let run = this.runs.get(id);
    if (!run) {
      run = {
        run: location,
        files: new Map(),
        pending: 0,
        failedAttempts: 0,
        finished: false,
        manifestComplete: false,
        lastManifestAt: -Infinity,
        writingManifest: Promise.resolve(),
      };
      this.runs.set(id, run);
    }
    return run;
  }

  private pump(): void {
    const limit = this.options.concurrency ?? DEFAULT_EXPORT_CONCURRENCY;
    while (this.active < limit && this.waiting.length > 0 && !this.abort.signal.aborted) {
      const next = this.waiting.shift()!;
      this.active++;
      void this.upload(next.file, next.attempt).finally(() => {
        this.active--;
        this.pump();
        this.notifyIdle();
      });
    }
  }

  private async upload(file: ExportFile, attempt: number): Promise<void> {
    const run = this.runFor(file.run);
    const { target, journal } = this.options;
    try {
      const result = await target.upload({
        path: file.path,
        key: objectKey(file.run, file.fileName),
        checkpoint: this.checkpoints.get(file.id) ?? file.checkpoint,
        saveCheckpoint: async (checkpoint) => {
          await journal.saveCheckpoint(file.id, checkpoint);
          this.checkpoints.set(file.id, checkpoint);
        },
        signal: this.abort.signal,
      });
      this.checkpoints.delete(file.id);
      const entry: ManifestFile = { ...file.entry, key: result.key, bytes: result.bytes, sha256: result.sha256 };
      await journal.exported(file.id, entry);
      run.files.set(file.id, entry);
      run.pending--;
      run.lastError = undefined;
      this.options.events?.exported?.(file, entry, result);
      this.scheduleManifest(run);
    } catch (error) {
      if (this.abort.signal.aborted) return;
      const failure =
        error instanceof ExportError
          ? error
          : new ExportError(ExportErrorCode.Unavailable, `Exporting ${file.path}: ${String(error)}`, { cause: error });
      run.failedAttempts++;
      run.lastError = failure.message;
      if (await this.options.giveUp?.(file, failure).catch(() => false)) {
        run.pending--;
        this.scheduleManifest(run);
        return;
      }
      const delay = Math.min(MAX_RETRY_DELAY_MS, MIN_RETRY_DELAY_MS * 2 ** attempt);
      this.options.events?.failed?.(file, failure, attempt + 1, delay);
      this.retryLater({ file, attempt: attempt + 1 }, delay);
    }
  }

  private retryLater(item: { file: ExportFile; attempt: number }, delayMs: number): void {
    const timer = this.options.clock.setTimer(delayMs, () => {
      this.timers.delete(timer);
      this.waiting.push(item);
      this.pump();
      this.notifyIdle();
    });
    this.timers.add(timer);
  }

  private scheduleManifest(run: RunEntry): void {
    if (this.abort.signal.aborted) return;
    const final = run.finished && run.pending === 0;
    // The complete manifest is written at once, replacing a throttled one still waiting.
    if (run.manifestTimer && final) {
      run.manifestTimer.cancel();
      this.timers.delete(run.manifestTimer);
      run.manifestTimer = undefined;
    }
    if (run.manifestTimer) return;
    const due = final ? 0 : Math.max(0, run.lastManifestAt + MANIFEST_INTERVAL_MS - this.options.clock.now());
    const timer = this.options.clock.setTimer(due, () => {
      this.timers.delete(timer);
      run.manifestTimer = undefined;
      run.writingManifest = run.writingManifest.then(() => this.writeManifest(run));
      void run.writingManifest.finally(() => this.notifyIdle());
    });
    run.manifestTimer = timer;
    this.timers.add(timer);
  }

  private async writeManifest(run: RunEntry): Promise<void> {
    const complete = run.finished && run.pending === 0;
    const manifest: Manifest = {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      recording: { namespace: run.run.namespace, name: run.run.recording, uid: run.run.uid },
      iteration: run.run.iteration,
      node: run.run.node,
      complete,
      updated: new Date(this.options.clock.now()).toISOString(),
      files: [...run.files.values()].sort((a, b) => a.key.localeCompare(b.key)),
    };
    const key = manifestKey(run.run);
    run.lastManifestAt = this.options.clock.now();
    try {
      await this.options.target.putSmall(key, serializeManifest(manifest), 'application/json');
      run.manifestComplete = complete;
      this.options.events?.manifestWritten?.(run.run, key, manifest);
    } catch (error) {
      const failure =
        error instanceof ExportError ? error : new ExportError(ExportErrorCode.Unavailable, String(error));
      run.lastError = failure.message;
      this.options.events?.manifestFailed?.(run.run, failure);
      this.retryManifest(run);
      return;
    }
    // The run's last file was exported while this (incomplete) manifest was being written.
    if (!complete && run.finished && run.pending === 0) this.scheduleManifest(run);
  }

  private retryManifest(run: RunEntry): void {
    const timer = this.options.clock.setTimer(MAX_RETRY_DELAY_MS / 10, () => {
      this.timers.delete(timer);
      this.scheduleManifest(run);
    });
    this.timers.add(timer);
  }

  private notifyIdle(): void {
    const waiters = this.idle;
    this.idle = [];
    for (const w of waiters) w();
  }
}
