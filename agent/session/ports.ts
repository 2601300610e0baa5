// The side effects a session depends on, injected by agent/main.ts (real
// libpcap capture, file writers and the state store) or by unit tests (fakes).
import type { OpenCapture } from '../capture/capture-source.js';
import type { Clock } from '../output/clock.js';
import type { OutputFile, RecordWriter } from '../output/record-writer.js';
import type { StoredFile, StoredSession } from '../state/stored-records.js';
import type { OutputFormat, RedactionSpec, Rotation, SessionSpec } from './session-spec.js';

export interface WriterInterface {
  readonly name: string;
  /** DLT_* of the interface's capture handle. */
  readonly linkType: number;
}

export interface WriterOptions {
  readonly format: OutputFormat;
  /** Directory under the data directory; it exists. */
  readonly directory: string;
  readonly filePrefix: string;
  readonly nodeName: string;
  /**
   * The interfaces whose batches this writer gets (write()'s interfaceIndex points here): one for
   * pcap (a writer per interface), every interface of the session for pcapng.
   */
  readonly interfaces: readonly WriterInterface[];
  readonly snaplen: number;
  readonly rotation: Rotation;
  readonly onFileOpened?: (file: OutputFile) => void;
  readonly onFileClosed?: (file: OutputFile) => void;
  /** Record formats (json): "namespace/name" of the Recording, set on every record. */
  readonly recording?: string;
  /** Record formats (json): what http records redact; absent = the defaults. */
  readonly redaction?: RedactionSpec;
}

export type CreateWriter = (options: WriterOptions) => RecordWriter;

/** Where sessions and their files are kept across restarts (agent/state/state-store.ts). */
export interface SessionJournal {
  putSession(session: StoredSession): void;
  putFile(file: StoredFile): void;
  deleteFile(path: string): void;
  session(id: string): StoredSession | undefined;
  sessions(): StoredSession[];
  files(sessionId: string): StoredFile[];
}

/**
 * A node-wide service that follows every session's files (the exporter, the retention sweeper).
 * Called after the journal recorded the change; must not throw or block (queue the work).
 */
export interface SessionObserver {
  /** A file was closed for good; its row is in the journal (sha256 may be '' when export hashes it). */
  fileClosed?(spec: SessionSpec, file: StoredFile): void;
  /** The session ended for good (stopped or failed; a pause for an agent restart is not an end). */
  sessionEnded?(spec: SessionSpec, stored: StoredSession): void;
}

/** The node's storage budget as a session sees it (agent/storage/storage-budget.ts). */
export interface StorageGate {
  /**
   * Is there room for `bytes` more in `files` files? Asked before a batch goes to the writers, so a
   * batch is written by every format or by none; charges nothing (the writers' files do).
   */
  admit(bytes: number, files: number): boolean;
}

export interface SessionPorts {
  readonly openCapture: OpenCapture;
  readonly createWriter: CreateWriter;
  readonly clock: Clock;
  readonly journal: SessionJournal;
  readonly observers?: readonly SessionObserver[];
  /** Absent = no budget. */
  readonly storage?: StorageGate;
}
