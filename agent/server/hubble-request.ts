// Maps Hubble's StartRecording (package recorder) to a validated SessionSpec.
import { randomBytes } from 'node:crypto';
import type { StartRecording__Output } from '../../proto/generated/recorder/StartRecording.js';
import type { IncludeEntry, Protocol, SessionSpec } from '../session/session-spec.js';
import { OutputFormat } from '../session/session-spec.js';
import { invalid } from './request-error.js';
import { REQUEST_LIMITS } from './limits.js';
import { bounded, cidr, count, durationMs, filePrefix, port, protocol } from './validate-fields.js';

/**
 * Turns include entries + a pcap-filter expression (+ an optional endpoint address list) into one
 * validated expression (throws FilterError).
 */
export type BuildFilter = (include: readonly IncludeEntry[], bpf: string, endpointIps?: readonly string[]) => string;

export const HUBBLE_FILE_PREFIX = 'hubble';

const HUBBLE_PROTOCOLS: Readonly<Record<string, Protocol>> = {
  PROTOCOL_ANY: 'ANY',
  PROTOCOL_TCP: 'TCP',
  PROTOCOL_UDP: 'UDP',
  PROTOCOL_SCTP: 'SCTP',
};

export interface HubbleDefaults {
  /** Interface Hubble recordings capture on (Hubble has no field for it). */
  readonly interface: string;
  readonly buildFilter: BuildFilter;
}

export function hubbleSessionSpec(
  start: StartRecording__Output | null | undefined,
  defaults: HubbleDefaults,
): SessionSpec {
  if (!start) throw invalid('start', 'is required');
  const entries = start.include ?? [];
  if (entries.length === 0) throw invalid('include', 'at least one filter is required');
  if (entries.length > REQUEST_LIMITS.maxIncludeEntries) {
    throw invalid('include', `at most ${REQUEST_LIMITS.maxIncludeEntries} filters are allowed`);
  }
  const include: IncludeEntry[] = entries.map((entry, i) => ({
    sourceCIDR: cidr(`include[${i}].source_cidr`, entry.sourceCidr, false),
    sourcePort: port(`include[${i}].source_port`, entry.sourcePort),
    destinationCIDR: cidr(`include[${i}].destination_cidr`, entry.destinationCidr, false),
    destinationPort: port(`include[${i}].destination_port`, entry.destinationPort),
    protocol: protocol(`include[${i}].protocol`, entry.protocol, HUBBLE_PROTOCOLS),
  }));
  const stop = start.stopCondition;
  const limits = {
    packets: count('stop_condition.packets_captured_count', stop?.packetsCapturedCount),
    bytes: count('stop_condition.bytes_captured_count', stop?.bytesCapturedCount),
    timeElapsedMs: durationMs('stop_condition.time_elapsed', stop?.timeElapsed, 1, REQUEST_LIMITS.maxTimeElapsedMs),
  };
  const snaplen = bounded('max_capture_length', start.maxCaptureLength, REQUEST_LIMITS.maxSnaplen);
  const prefix = filePrefix('filesink.file_prefix', start.filesink?.filePrefix, HUBBLE_FILE_PREFIX);
  return {
    id: `hubble-${randomBytes(6).toString('hex')}`,
    interfaces: [defaults.interface],
    include,
    bpf: '',
    endpointIps: [],
    filter: defaults.buildFilter(include, ''),
    snaplen,
    limits,
    formats: [OutputFormat.Pcap],
    rotation: { maxFileBytes: 0, maxFileAgeMs: 0 },
    filePrefix: prefix,
    labels: {},
  };
}
