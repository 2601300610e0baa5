// The side effects a session depends on, injected by agent/main.ts (real
// libpcap capture and file writers) or by unit tests (fakes).
import type { OpenCapture } from '../capture/capture-source.js';
import type { Clock } from '../output/clock.js';
import type { RecordWriter } from '../output/record-writer.js';
import type { OutputFormat, Rotation } from './session-spec.js';

export interface WriterOptions {
  readonly format: OutputFormat;
  /** Directory under the data directory; it exists. */
  readonly directory: string;
  readonly filePrefix: string;
  readonly nodeName: string;
  readonly interfaceName: string;
  readonly linkType: number;
  readonly snaplen: number;
  readonly rotation: Rotation;
}

export type CreateWriter = (options: WriterOptions) => RecordWriter;

export interface SessionPorts {
  readonly openCapture: OpenCapture;
  readonly createWriter: CreateWriter;
  readonly clock: Clock;
}
