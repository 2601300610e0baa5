// A session's validated, normalised specification: what the gRPC boundary
// (agent/server/) hands to the session manager once every field was checked.
import type { StopLimits } from './stop-condition.js';

export const OutputFormat = {
  Pcap: 'pcap',
  Pcapng: 'pcapng',
  Json: 'json',
  Dnstap: 'dnstap',
  Streams: 'streams',
} as const;
export type OutputFormat = (typeof OutputFormat)[keyof typeof OutputFormat];

/** Formats the agent can write today; the others are rejected as unimplemented. */
export const IMPLEMENTED_FORMATS: readonly OutputFormat[] = [OutputFormat.Pcap, OutputFormat.Pcapng, OutputFormat.Json];

export const Protocol = {
  Any: 'ANY',
  Icmp: 'ICMP',
  Tcp: 'TCP',
  Udp: 'UDP',
  Icmpv6: 'ICMPV6',
  Sctp: 'SCTP',
} as const;
export type Protocol = (typeof Protocol)[keyof typeof Protocol];

/** Hubble semantics: a packet matching any entry is kept; "" CIDR and port 0 mean any. */
export interface IncludeEntry {
  readonly sourceCIDR: string;
  readonly sourcePort: number;
  readonly destinationCIDR: string;
  readonly destinationPort: number;
  readonly protocol: Protocol;
}

export interface RecordingRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly iteration: number;
}

export interface Rotation {
  /** 0 = never by size. */
  readonly maxFileBytes: number;
  /** 0 = never by age. */
  readonly maxFileAgeMs: number;
}

export interface SessionSpec {
  /** "<uid>-<iteration>" for Recordings, "hubble-<random>" for Hubble streams. */
  readonly id: string;
  readonly recording?: RecordingRef;
  /** Interface names inside the agent's network namespace (1-16, "any" = all); one capture handle each. */
  readonly interfaces: readonly string[];
  readonly include: readonly IncludeEntry[];
  readonly bpf: string;
  /** Only packets to or from these addresses (validated); [] = no restriction. */
  readonly endpointIps: readonly string[];
  /** The pcap-filter expression built from include + endpointIps + bpf, already compiled once. */
  readonly filter: string;
  /** 0 = whole packet. */
  readonly snaplen: number;
  readonly limits: StopLimits;
  readonly formats: readonly OutputFormat[];
  readonly rotation: Rotation;
  readonly filePrefix: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Dead-man switch: the session stops at this instant (ms since the epoch) by itself; absent = none. */
  readonly windowEndMs?: number;
  /** Absent in specs stored by agents before retention existed: read as NO_RETENTION. */
  readonly retention?: Retention;
  readonly onStorageFull?: StorageFullPolicy;
  readonly export?: ExportDestination;
  /** What the json format's http records redact; absent = the defaults (auth and cookie headers). */
  readonly redaction?: RedactionSpec;
}

export interface RedactionSpec {
  /** Header names redacted on top of the defaults. */
  readonly headers: readonly string[];
  readonly queryParameters: readonly string[];
  /** No redaction at all, the defaults included. */
  readonly disabled: boolean;
}

/** Local retention; 0 = none (keep until expiry / never expire). TTLs count from a file's close. */
export interface Retention {
  readonly pcapTtlMs: number;
  /** Every record format: json, dnstap, streams. */
  readonly jsonTtlMs: number;
  /** All local data of the session this long after it ends. */
  readonly expireAfterMs: number;
}

export const NO_RETENTION: Retention = { pcapTtlMs: 0, jsonTtlMs: 0, expireAfterMs: 0 };

export const StorageFullPolicy = { Continue: 'Continue', Stop: 'Stop' } as const;
export type StorageFullPolicy = (typeof StorageFullPolicy)[keyof typeof StorageFullPolicy];

/**
 * Where closed files go. Never holds credentials (the spec is stored and shown): `credentials` says
 * only where they come from — `request` (the operator sends them, kept in memory only; after a
 * restart the session waits for RefreshCredentials) or `ambient` (the agent's own environment).
 */
export type ExportDestination =
  | {
      readonly kind: 's3';
      readonly bucket: string;
      readonly prefix: string;
      readonly region: string;
      readonly endpoint: string;
      readonly forcePathStyle: boolean;
      readonly credentials: 'request' | 'ambient';
    }
  | {
      readonly kind: 'gcs';
      readonly bucket: string;
      readonly prefix: string;
      readonly endpoint: string;
      readonly credentials: 'request' | 'ambient';
    };

/** Record formats (everything but packets); retention.jsonTtl applies to these. */
export function isRecordFormat(format: OutputFormat): boolean {
  return format !== OutputFormat.Pcap && format !== OutputFormat.Pcapng;
}

/** The filter fields UpdateSession replaces. */
export type FilterUpdate = Pick<SessionSpec, 'include' | 'bpf' | 'endpointIps' | 'filter'>;

export function sessionIdFor(recording: RecordingRef): string {
  return `${recording.uid}-${recording.iteration}`;
}
