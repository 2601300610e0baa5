// The agent's export stage: follows every session that names a destination (a SessionObserver),
// queues each file as it closes, resumes what an earlier process left (checkpoints in the state
// store), writes the node's manifest, and reports per session what is pending, exported and failing
// (Session.export, for the operator's node rows, Exported condition and Events).
//
// One ExportQueue per session (its own manifest and counters); a node-wide limit on files in flight
// keeps memory bounded however many sessions export. Credentials come from the CredentialVault
// (memory only); a refresh builds a new client for the next request. A session that exports with the
// operator's credentials but has none (the agent restarted) waits, its files kept, until the
// operator sends RefreshCredentials: its status says so.
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ManifestFile, ManifestFormat } from '../../core/manifest/manifest.js';
import { manifestKey } from '../../core/manifest/object-key.js';
import type { RunLocation } from '../../core/manifest/object-key.js';
import type { Clock } from '../output/clock.js';
import type { SessionObserver } from '../session/ports.js';
import type { ExportDestination, SessionSpec } from '../session/session-spec.js';
import type { StoredFile, StoredSession } from '../state/stored-records.js';
import { StoredState } from '../state/stored-records.js';
import type { CredentialVault } from './export-credentials.js';
import { ExportErrorCode } from './export-error.js';
import { ExportQueue, type ExportFile } from './export-queue.js';
import type { MakeTarget } from './destination-target.js';
import { Slots, SwappableTarget } from './swappable-target.js';
import type { UploadCheckpoint } from './upload-checkpoint.js';

/** Files uploading at once on the node, over all sessions (memory ≈ this × part size × parts in flight). */
export const NODE_UPLOAD_SLOTS = 2;

/** The state store's side of export (agent/state/state-store.ts). */
export interface ExportStore {
  sessions(): StoredSession[];
  files(sessionId: string): StoredFile[];
  saveUploadCheckpoint(path: string, checkpoint: string): void;
  uploadCheckpoint(path: string): string | undefined;
  markExported(path: string, key: string, sha256: string, atMs: number): void;
  meta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
}

export interface SessionExportStatus {
  readonly filesPending: number;
  readonly filesExported: number;
  readonly failedAttempts: number;
  readonly lastErrorCode: string;
  readonly lastError: string;
  readonly manifestUrl: string;
  readonly manifestComplete: boolean;
  readonly credentialsExpiryMs?: number;
  readonly filesExpiredUnexported: number;
}

export interface ExportedFile {
  readonly url: string;
  readonly sha256: string;
}

export interface ExportServiceOptions {
  readonly nodeName: string;
  readonly store: ExportStore;
  readonly credentials: CredentialVault;
  readonly makeTarget: MakeTarget;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly uploadSlots?: number;
  /** Per session; defaults to the queue's. */
  readonly concurrency?: number;
}

type Destined = SessionSpec & { readonly export: ExportDestination };

interface SessionExport {
  readonly spec: Destined;
  readonly run: RunLocation;
  readonly baseUrl: string;
  queue?: ExportQueue;
  target?: SwappableTarget;
  /** Closed files waiting for credentials (with their manifest entry when exported before). */
  readonly backlog: { file: ExportFile; exported?: ManifestFile }[];
  readonly known: Set<string>;
  readonly exported: Map<string, ExportedFile>;
  ended: boolean;
  lastErrorCode: string;
  lastError: string;
  expiredUnexported: number;
}

const doneKey = (sessionId: string): string => `export_done/${sessionId}`;

export class ExportService implements SessionObserver {
  private readonly sessions = new Map<string, SessionExport>();
  private readonly slots: Slots;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: ExportServiceOptions) {
    this.slots = new Slots(options.uploadSlots ?? NODE_UPLOAD_SLOTS);
    this.unsubscribe = options.credentials.onChange((id) => this.credentialsChanged(id));
  }

  /** Re-queues what the state store knows: closed files not yet exported, and finished runs' manifests. */
  recover(): { sessions: number; pending: number } {
    let sessions = 0;
    let pending = 0;
    for (const stored of this.options.store.sessions()) {
      const spec = stored.spec;
      if (!hasExport(spec) || this.options.store.meta(doneKey(stored.id)) === '1') continue;
      const entry = this.entryFor(spec);
      sessions++;
      for (const file of this.options.store.files(stored.id)) {
        if (!file.closed) continue;
        if (file.uploadedKey === undefined) pending++;
        this.addFile(entry, file);
      }
      if (stored.state === StoredState.Stopped || stored.state === StoredState.Failed) this.end(entry);
    }
    return { sessions, pending };
  }

  fileClosed(spec: SessionSpec, file: StoredFile): void {
    if (!hasExport(spec)) return;
    this.addFile(this.entryFor(spec), file);
  }

  sessionEnded(spec: SessionSpec): void {
    if (!hasExport(spec)) return;
    this.end(this.entryFor(spec));
  }

  status(sessionId: string): SessionExportStatus | undefined {
    const entry = this.sessions.get(sessionId);
    if (!entry) return undefined;
    const state = entry.queue?.state(entry.run);
    return {
      filesPending: (state?.pending ?? 0) + entry.backlog.length,
      filesExported: entry.exported.size,
      failedAttempts: state?.failedAttempts ?? 0,
      lastErrorCode: entry.lastErrorCode,
      lastError: entry.lastError,
      manifestUrl: `${entry.baseUrl}/${manifestKey(entry.run)}`,
      manifestComplete: state?.manifestComplete ?? false,
      ...(this.options.credentials.expiry(sessionId) !== undefined && {
        credentialsExpiryMs: this.options.credentials.expiry(sessionId),
      }),
      filesExpiredUnexported: entry.expiredUnexported,
    };
  }

  /** Where a file went and its sha256, once exported. */
  exportedFile(sessionId: string, filePath: string): ExportedFile | undefined {
    return this.sessions.get(sessionId)?.exported.get(filePath);
  }

  /** Whether a local file was exported (the storage budget evicts those first). */
  isExported(sessionId: string, filePath: string): boolean {
    return this.sessions.get(sessionId)?.exported.has(filePath) ?? false;
  }

  /** Resolves when every queue is idle (tests; a shutdown does not wait for uploads). */
  async drained(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((e) => e.queue?.drained()));
  }

  /** Stops uploading; saved checkpoints let the next process resume. */
  close(): void {
    this.unsubscribe();
    for (const entry of this.sessions.values()) {
      entry.queue?.close();
      entry.target?.close();
    }
  }

  private entryFor(spec: Destined): SessionExport {
    let entry = this.sessions.get(spec.id);
    if (entry) return entry;
    const recording = spec.recording;
    if (!recording) throw new Error(`session ${spec.id} exports but belongs to no Recording`);
    const destination = spec.export;
    entry = {
      spec,
      run: {
        prefix: destination.prefix,
        namespace: recording.namespace,
        recording: recording.name,
        uid: recording.uid,
        iteration: recording.iteration,
        node: this.options.nodeName,
      },
      baseUrl: destination.kind === 's3' ? `s3://${destination.bucket}` : `gs://${destination.bucket}`,
      backlog: [],
      known: new Set(),
      exported: new Map(),
      ended: false,
      lastErrorCode: '',
      lastError: '',
      expiredUnexported: 0,
    };
    this.sessions.set(spec.id, entry);
    this.openQueue(entry);
    return entry;
  }

  /** Starts the session's queue once it has what it needs to talk to the store. */
  private openQueue(entry: SessionExport): void {
    if (entry.queue) return;
    const credentials = this.options.credentials.get(entry.spec.id);
    if (entry.spec.export.credentials === 'request' && credentials === undefined) {
      entry.lastErrorCode = ExportErrorCode.NoCredentials;
      entry.lastError = 'waiting for the operator to send export credentials (the agent restarted)';
      return;
    }
    const target = new SwappableTarget(this.options.makeTarget(entry.spec.export, credentials), this.slots);
    entry.target = target;
    entry.queue = new ExportQueue({
      target,
      clock: this.options.clock,
      ...(this.options.concurrency !== undefined && { concurrency: this.options.concurrency }),
      journal: {
        saveCheckpoint: async (fileId, checkpoint) =>
          this.options.store.saveUploadCheckpoint(fileId, JSON.stringify(checkpoint)),
        exported: async (fileId, file) =>
          this.options.store.markExported(fileId, file.key, file.sha256, this.options.clock.now()),
      },
      // A file a TTL (or a person) removed before it was exported is dropped and counted, not retried.
      giveUp: async (file) => {
        const gone = !(await exists(file.path));
        if (gone) entry.expiredUnexported++;
        return gone;
      },
      events: {
        exported: (file, manifestEntry, result) => {
          entry.exported.set(file.path, { url: `${entry.baseUrl}/${manifestEntry.key}`, sha256: manifestEntry.sha256 });
          entry.lastErrorCode = '';
          entry.lastError = '';
          this.options.logger.debug(
            { file: file.path, object: result.key, bytes: result.bytes, resumedParts: result.resumedParts },
            'Exported file',
          );
        },
        failed: (file, error, attempt, retryInMs) => {
          entry.lastErrorCode = error.code;
          entry.lastError = error.message;
          // A failure is state (status, Events), and logged once per file and code, not per retry.
          if (attempt === 1) {
            this.options.logger.warn(
              { file: file.path, code: error.code, error: error.message, retryInMs },
              'Export failed',
            );
          }
        },
        manifestWritten: (_run, _key, manifest) => {
          if (manifest.complete) this.options.store.setMeta(doneKey(entry.spec.id), '1');
        },
        manifestFailed: (_run, error) => {
          entry.lastErrorCode = error.code;
          entry.lastError = error.message;
        },
      },
    });
    for (const item of entry.backlog.splice(0)) entry.queue.add(item.file, item.exported);
    if (entry.ended) entry.queue.finishRun(entry.run);
  }

  private addFile(entry: SessionExport, file: StoredFile): void {
    if (entry.known.has(file.path)) return;
    entry.known.add(file.path);
    const exportFile = this.exportFile(entry, file);
    if (file.uploadedKey !== undefined) {
      const manifestEntry: ManifestFile = {
        ...exportFile.entry,
        key: file.uploadedKey,
        bytes: file.bytes,
        sha256: file.sha256,
      };
      entry.exported.set(file.path, { url: `${entry.baseUrl}/${file.uploadedKey}`, sha256: file.sha256 });
      if (entry.queue) entry.queue.add(exportFile, manifestEntry);
      else entry.backlog.push({ file: exportFile, exported: manifestEntry });
      return;
    }
    if (entry.queue) entry.queue.add(exportFile);
    else entry.backlog.push({ file: exportFile });
  }

  private exportFile(entry: SessionExport, file: StoredFile): ExportFile {
    const saved = this.options.store.uploadCheckpoint(file.path);
    const checkpoint = saved === undefined ? undefined : parseCheckpoint(saved);
    return {
      id: file.path,
      path: file.path,
      fileName: path.basename(file.path),
      run: entry.run,
      entry: {
        format: file.format as ManifestFormat,
        packets: file.packets,
        ...(file.firstPacketMs !== undefined && { firstPacketTime: new Date(file.firstPacketMs).toISOString() }),
        ...(file.lastPacketMs !== undefined && { lastPacketTime: new Date(file.lastPacketMs).toISOString() }),
        interfaces: file.interfaces,
        linkType: file.linkType,
      },
      ...(checkpoint && { checkpoint }),
    };
  }

  private end(entry: SessionExport): void {
    entry.ended = true;
    entry.queue?.finishRun(entry.run);
  }

  private credentialsChanged(sessionId: string): void {
    const entry = this.sessions.get(sessionId);
    if (!entry) return;
    if (!entry.queue) {
      this.openQueue(entry);
      return;
    }
    entry.target?.replace(this.options.makeTarget(entry.spec.export, this.options.credentials.get(sessionId)));
  }
}

function hasExport(spec: SessionSpec): spec is Destined {
  return spec.export !== undefined && spec.recording !== undefined;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

function parseCheckpoint(text: string): UploadCheckpoint | undefined {
  try {
    const value = JSON.parse(text) as UploadCheckpoint;
    return value.kind === 's3' || value.kind === 'gcs' ? value : undefined;
  } catch {
    return undefined; // a damaged checkpoint only costs a fresh upload
  }
}
