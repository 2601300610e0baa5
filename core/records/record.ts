// The JSON Lines records (schema: record.schema.json beside this file). Zeek-style: kinds joined by `flow`.
export const SCHEMA_VERSION = 1;

export const RecordKind = { Flow: 'flow', Http: 'http', Dns: 'dns' } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export const FlowEnd = {
  ClientHup: 'client-hup',
  ServerHup: 'server-hup',
  ClientReset: 'client-reset',
  ServerReset: 'server-reset',
  Timeout: 'timeout',
  Open: 'open',
} as const;
export type FlowEnd = (typeof FlowEnd)[keyof typeof FlowEnd];

export interface PerSide {
  client: number;
  server: number;
}

export interface CommonFields {
  schema: number;
  kind: RecordKind;
  flow: string;
  communityId: string;
  /** RFC 3339 UTC with nanoseconds. */
  time: string;
  /** Nanoseconds. */
  duration: number;
  network: string;
  client: string;
  server: string;
  node?: string;
  recording?: string;
}

export interface FlowRecord extends CommonFields {
  kind: 'flow';
  packets: PerSide;
  bytes: PerSide;
  payload: PerSide;
  end: FlowEnd;
  history: string;
  gaps: PerSide;
  conflicts: number;
}

export interface DnsAnswer {
  name: string;
  type: string;
  ttl: number;
  data: string;
}

export interface DnsFields {
  id: number;
  name: string;
  class: string;
  type: string;
  /** Absent for an unanswered query. */
  rcode?: string;
  answers: DnsAnswer[];
  question?: string;
  answer?: string;
  /** Set when a message could not be decoded: what was wrong. */
  malformed?: string;
  truncated?: boolean;
}

export interface DnsRecord extends CommonFields {
  kind: 'dns';
  dns: DnsFields;
}

export interface HttpMessageFields {
  /** Body bytes as carried (chunked: decoded; skipped gap bytes included). */
  contentLength: number;
  /** Header names in Go's canonical form, values in order; redacted values read "[redacted]". */
  header: Record<string, string[]>;
}

/** One HTTP/1.x exchange, gost's field names. */
export interface HttpFields {
  /** "" when the request was not seen (a response after a gap or before the capture started). */
  method: string;
  host: string;
  uri: string;
  proto: string;
  /** Absent when no response was seen. */
  statusCode?: number;
  request?: HttpMessageFields;
  response?: HttpMessageFields;
  /** Bytes of the exchange were missing (a gap), or its request was not seen. */
  partial?: true;
}

export interface HttpRecord extends CommonFields {
  kind: 'http';
  http: HttpFields;
}

export type TrafficRecord = FlowRecord | DnsRecord | HttpRecord;

/** Where records go (the CLI's stdout, the agent's json writer). */
export type RecordSink = (record: TrafficRecord) => void;
