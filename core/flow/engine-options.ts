// Limits and timeouts of the flow engine (named so they can be tuned and tested).
import type { RecordSink } from '../records/record.js';
import type { StreamConsumerFactory } from './stream-consumer.js';

export interface FlowEngineOptions {
  /** Where records go. */
  readonly onRecord: RecordSink;
  readonly consumers?: readonly StreamConsumerFactory[];
  /** Idle seconds before a flow ends with "timeout" (Zeek's defaults: TCP 5 min, UDP and ICMP 1 min). */
  readonly tcpTimeout?: number;
  readonly udpTimeout?: number;
  readonly otherTimeout?: number;
  /** Seconds a closed TCP connection is kept for its last ACKs before its record is written. */
  readonly closedLinger?: number;
  /** Flows held at once; beyond it the least recently used is written and evicted. */
  readonly maxFlows?: number;
  /** Out-of-order bytes held per TCP direction, and in total. */
  readonly maxStreamBufferBytes?: number;
  readonly maxBufferedBytes?: number;
}

export const DEFAULT_TCP_TIMEOUT = 300;
export const DEFAULT_UDP_TIMEOUT = 60;
export const DEFAULT_OTHER_TIMEOUT = 60;
export const DEFAULT_CLOSED_LINGER = 5;
export const DEFAULT_MAX_FLOWS = 65_536;
export const DEFAULT_MAX_STREAM_BUFFER_BYTES = 1 << 20;
export const DEFAULT_MAX_BUFFERED_BYTES = 64 << 20;

export interface FlowEngineStats {
  packets: number;
  /** Not IPv4/IPv6, or an unsupported link type. */
  skipped: number;
  /** Headers too short or inconsistent. */
  malformed: number;
  fragmentsHeld: number;
  flows: number;
  /** Flows written early because the table was full. */
  evictions: number;
  /** Times the engine-wide out-of-order budget forced a gap. */
  bufferOverflows: number;
}
