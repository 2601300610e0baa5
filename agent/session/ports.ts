// The side effects a session depends on, injected by agent/main.ts (real
// libpcap capture, file writers and the state store) or by unit tests (fakes).
import type { OpenCapture } from '../capture/capture-source.js';
import type { Clock } from '../output/clock.js';
import type { OutputFile, RecordWriter } from '../output/record-writer.js';
import type { StoredFile, StoredSession } from '../state/stored-records.js';
import type { OutputFormat, Rotation } from './session-spec.js';

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
}

export type CreateWriter = (options: WriterOptions) => RecordWriter;

/** Where sessions and their files are kept across restarts (agent/state/state-store.ts). */
export interface SessionJournal {
  putSession(session: StoredSession): void;
  putFile(file: StoredFile): void;
  deleteFile(path: string): void;
  sessions(): StoredSession[];
  files(sessionId: string): StoredFile[];
}

export interface SessionPorts {
  readonly openCapture: OpenCapture;
  readonly createWriter: CreateWriter;
  readonly clock: Clock;
  readonly journal: SessionJournal;
}
