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

export type TrafficRecord = FlowRecord | DnsRecord;

/** Where records go (the CLI's stdout, the agent's json writer). */
export type RecordSink = (record: TrafficRecord) => void;
