// Builds the pcap, pcapng or json RecordWriter of a capture session from
// validated options. Every bound is a named constant; a bad value is an OutputError
// (TD_ERR_OUTPUT_OPTIONS / TD_ERR_OUTPUT_NAME) naming the field.
import path from 'node:path';
import { systemClock, type Clock } from './clock.js';
import type { RedactionOptions } from '../../core/http/redaction.js';
import type { FileEncoder } from './file-encoder.js';
import { JsonRecordWriter } from './json-record-writer.js';
import { validateFilePrefix, validateNodeName } from './file-naming.js';
import { OutputError, OutputErrorCode } from './output-error.js';
import { createPcapEncoder, TimestampResolution } from './pcap-format.js';
import { createPcapngEncoder, type PcapngInterface } from './pcapng-format.js';
import type { OutputFile, RecordWriter } from './record-writer.js';
import { RotatingRecordWriter } from './rotating-writer.js';
import type { StorageLedger } from './storage-ledger.js';

export const PacketFileFormat = { Pcap: 'pcap', Pcapng: 'pcapng' } as const;
export type PacketFileFormat = (typeof PacketFileFormat)[keyof typeof PacketFileFormat];

/** libpcap's MAXIMUM_SNAPLEN; also what a snaplen of 0 means. */
export const MAX_SNAPLEN = 262_144;
/** Smallest non-zero maxFileBytes: room for the headers and a few packets. */
export const MIN_FILE_BYTES = 1024;
/** Smallest non-zero maxFileAgeMs. */
export const MIN_FILE_AGE_MS = 1000;
const MAX_LINK_TYPE = 0xffff;
const MAX_INTERFACE_NAME = 64;
/** The Recording CRD's bound on interfaces per session. */
export const MAX_WRITER_INTERFACES = 16;
// Printable, no spaces: a Linux interface name or "any".
const INTERFACE_NAME = /^[\x21-\x7e]+$/;

export interface RotationOptions {
  /** A file never grows past this unless one record alone does; 0 = no limit. */
  readonly maxFileBytes: number;
  /** A file is closed this long after it was opened, even when idle; 0 = no limit. */
  readonly maxFileAgeMs: number;
}

export interface RecordWriterOptions {
  readonly format: PacketFileFormat;
  /** The session's directory; every file is created directly inside it. */
  readonly directory: string;
  /** Hubble's file_prefix; "" means "hubble". */
  readonly filePrefix: string;
  readonly nodeName: string;
  /** 0 = MAX_SNAPLEN. */
  readonly snaplen: number;
  /** DLT_* of the capture handle (one interface; or give `interfaces`). */
  readonly linkType?: number;
  readonly interfaceName?: string;
  /**
   * The capture interfaces (name and link type): exactly one for pcap; for pcapng one Interface
   * Description Block each, and write()'s interfaceIndex points into it. Default: [interfaceName].
   */
  readonly interfaces?: readonly PcapngInterface[];
  /** pcap only (pcapng always records nanoseconds); default nanoseconds. */
  readonly timestampResolution?: TimestampResolution;
  readonly rotation?: RotationOptions;
  readonly clock?: Clock;
  /** Hash every file while writing it (OutputFile.sha256); default true. */
  readonly sha256?: boolean;
  readonly onFileOpened?: (file: OutputFile) => void;
  readonly onFileClosed?: (file: OutputFile) => void;
  /** The node's storage budget; absent = none. */
  readonly ledger?: StorageLedger;
}

export function createRecordWriter(options: RecordWriterOptions): RecordWriter {
  const filePrefix = validateFilePrefix(options.filePrefix);
  const nodeName = validateNodeName(options.nodeName);

  const snaplen = options.snaplen === 0 ? MAX_SNAPLEN : integerIn('snaplen', options.snaplen, 1, MAX_SNAPLEN);
  const maxFileBytes = limit('rotation.maxFileBytes', options.rotation?.maxFileBytes ?? 0, MIN_FILE_BYTES);
  const maxFileAgeMs = limit('rotation.maxFileAgeMs', options.rotation?.maxFileAgeMs ?? 0, MIN_FILE_AGE_MS);
  const interfaces = options.interfaces ?? [
    { name: options.interfaceName ?? '', linkType: integerIn('linkType', options.linkType ?? -1, 0, MAX_LINK_TYPE) },
  ];
  if (interfaces.length < 1 || interfaces.length > MAX_WRITER_INTERFACES) {
    throw invalid('interfaces', `must list 1-${MAX_WRITER_INTERFACES} interfaces`);
  }
  if (options.format === PacketFileFormat.Pcap && interfaces.length !== 1) {
    throw invalid('interfaces', 'a pcap file holds one interface: use one writer per interface');
  }
  for (const [i, { name, linkType: ifLinkType }] of interfaces.entries()) {
    if (name.length > MAX_INTERFACE_NAME || !INTERFACE_NAME.test(name)) {
      const field = options.interfaces === undefined ? 'interfaceName' : `interfaces[${i}].name`;
      throw invalid(field, `must be 1-${MAX_INTERFACE_NAME} printable characters without spaces`);
    }
    integerIn(`interfaces[${i}].linkType`, ifLinkType, 0, MAX_LINK_TYPE);
  }
  if (!path.isAbsolute(options.directory)) throw invalid('directory', 'must be an absolute path');
  const resolution = options.timestampResolution ?? TimestampResolution.Nanosecond;
  if (!Object.values(TimestampResolution).includes(resolution)) {
    throw invalid('timestampResolution', `must be one of ${Object.values(TimestampResolution).join(', ')}`);
  }
  let encoder: FileEncoder;
  switch (options.format) {
    case PacketFileFormat.Pcap:
      encoder = createPcapEncoder({ linkType: interfaces[0]?.linkType ?? 0, snaplen, resolution });
      break;
    case PacketFileFormat.Pcapng:
      encoder = createPcapngEncoder({ snaplen, nodeName, interfaces });
      break;
    default:
      throw invalid('format', `must be one of ${Object.values(PacketFileFormat).join(', ')}`);
  }
  return new RotatingRecordWriter({
    directory: path.resolve(options.directory),
    filePrefix,
    nodeName,
    encoder,
    maxFileBytes,
    maxFileAgeMs,
    clock: options.clock ?? systemClock,
    sha256: options.sha256 ?? true,
    interfaces: interfaces.map((i) => i.name),
    linkType: interfaces[0]?.linkType ?? 0,
    ...(options.onFileOpened === undefined ? {} : { onFileOpened: options.onFileOpened }),
    ...(options.onFileClosed === undefined ? {} : { onFileClosed: options.onFileClosed }),
    ...(options.ledger === undefined ? {} : { ledger: options.ledger }),
  });
}

export interface JsonRecordWriterOptions extends Pick<
  RecordWriterOptions,
  'directory' | 'filePrefix' | 'nodeName' | 'rotation' | 'clock' | 'sha256' | 'onFileOpened' | 'onFileClosed' | 'ledger'
> {
  /** The capture interfaces (name and link type); write()'s interfaceIndex points here. */
  readonly interfaces: readonly PcapngInterface[];
  /** "namespace/name" of the Recording, set on every record. */
  readonly recording?: string;
  readonly redaction?: RedactionOptions;
}

/** The json format's writer (flow, http and dns records in rotated .jsonl files), validated like the others. */
export function createJsonRecordWriter(options: JsonRecordWriterOptions): RecordWriter {
  const filePrefix = validateFilePrefix(options.filePrefix);
  const nodeName = validateNodeName(options.nodeName);
  const maxFileBytes = limit('rotation.maxFileBytes', options.rotation?.maxFileBytes ?? 0, MIN_FILE_BYTES);
  const maxFileAgeMs = limit('rotation.maxFileAgeMs', options.rotation?.maxFileAgeMs ?? 0, MIN_FILE_AGE_MS);
  if (options.interfaces.length < 1 || options.interfaces.length > MAX_WRITER_INTERFACES) {
    throw invalid('interfaces', `must list 1-${MAX_WRITER_INTERFACES} interfaces`);
  }
  for (const [i, { linkType }] of options.interfaces.entries()) {
    integerIn(`interfaces[${i}].linkType`, linkType, 0, MAX_LINK_TYPE);
  }
  if (!path.isAbsolute(options.directory)) throw invalid('directory', 'must be an absolute path');
  return new JsonRecordWriter({
    directory: path.resolve(options.directory),
    filePrefix,
    nodeName,
    interfaces: options.interfaces,
    maxFileBytes,
    maxFileAgeMs,
    clock: options.clock ?? systemClock,
    sha256: options.sha256 ?? true,
    ...(options.recording !== undefined && { recording: options.recording }),
    ...(options.redaction !== undefined && { redaction: options.redaction }),
    ...(options.onFileOpened !== undefined && { onFileOpened: options.onFileOpened }),
    ...(options.onFileClosed !== undefined && { onFileClosed: options.onFileClosed }),
    ...(options.ledger !== undefined && { ledger: options.ledger }),
  });
}

function integerIn(field: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw invalid(field, `must be an integer in [${min}, ${max}]`);
  return value;
}

function limit(field: string, value: number, min: number): number {
  if (value === 0) return 0;
  return integerIn(field, value, min, Number.MAX_SAFE_INTEGER);
}

function invalid(field: string, message: string): OutputError {
  return new OutputError(OutputErrorCode.InvalidOptions, `${field}: ${message}`);
}
