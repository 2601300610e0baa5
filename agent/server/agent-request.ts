// Maps tapedeck's StartSessionRequest (tapedeck.agent.v1) to a validated SessionSpec.
import { status } from '@grpc/grpc-js';
import { FilterError } from '../capture/capture-error.js';
import type { Filter__Output } from '../../proto/generated/tapedeck/agent/v1/Filter.js';
import type { SessionSpec__Output } from '../../proto/generated/tapedeck/agent/v1/SessionSpec.js';
import type { IncludeEntry, OutputFormat, Protocol, RecordingRef, SessionSpec } from '../session/session-spec.js';
import { IMPLEMENTED_FORMATS, sessionIdFor } from '../session/session-spec.js';
import { redactionSpec } from './redaction-request.js';
import type { BuildFilter } from './hubble-request.js';
import { DNS_LABEL_PATTERN, DNS_SUBDOMAIN_PATTERN, INTERFACE_PATTERN, REQUEST_LIMITS, UID_PATTERN } from './limits.js';
import { invalid, RequestError } from './request-error.js';
import { bounded, bpf, cidr, count, durationMs, filePrefix, port, protocol } from './validate-fields.js';
import { exportDestination, retention, storageFullPolicy } from './export-request.js';

export const DEFAULT_FILE_PREFIX = 'tapedeck';

const PROTOCOLS: Readonly<Record<string, Protocol>> = {
  PROTOCOL_ANY: 'ANY',
  PROTOCOL_ICMP: 'ICMP',
  PROTOCOL_TCP: 'TCP',
  PROTOCOL_UDP: 'UDP',
  PROTOCOL_ICMPV6: 'ICMPV6',
  PROTOCOL_SCTP: 'SCTP',
};

const FORMATS: Readonly<Record<string, OutputFormat>> = {
  OUTPUT_FORMAT_PCAP: 'pcap',
  OUTPUT_FORMAT_PCAPNG: 'pcapng',
  OUTPUT_FORMAT_JSON: 'json',
  OUTPUT_FORMAT_DNSTAP: 'dnstap',
  OUTPUT_FORMAT_STREAMS: 'streams',
};

function recordingRef(spec: SessionSpec__Output): RecordingRef {
  const ref = spec.recording;
  if (!ref) throw invalid('spec.recording', 'is required');
  if (!DNS_LABEL_PATTERN.test(ref.namespace)) {
    throw invalid('spec.recording.namespace', `${JSON.stringify(ref.namespace.slice(0, 64))} is not a namespace name`);
  }
  if (!DNS_SUBDOMAIN_PATTERN.test(ref.name)) {
    throw invalid('spec.recording.name', `${JSON.stringify(ref.name.slice(0, 64))} is not a Recording name`);
  }
  if (!UID_PATTERN.test(ref.uid)) throw invalid('spec.recording.uid', `must match ${UID_PATTERN.source}`);
  const iteration = bounded('spec.recording.iteration', ref.iteration, REQUEST_LIMITS.maxIteration);
  if (iteration < 1) throw invalid('spec.recording.iteration', 'must be at least 1');
  return { namespace: ref.namespace, name: ref.name, uid: ref.uid, iteration };
}

export interface AgentFilter {
  readonly include: IncludeEntry[];
  readonly bpf: string;
  readonly endpointIps: string[];
  /** include + bpf as one compiled pcap-filter expression. */
  readonly filter: string;
}

/** Validates a Filter message; `field` prefixes the field names in errors ("spec.filter", "filter"). */
export function agentFilter(
  message: Filter__Output | null | undefined,
  field: string,
  buildFilter: BuildFilter,
): AgentFilter {
  const entries = message?.include ?? [];
  if (entries.length > REQUEST_LIMITS.maxIncludeEntries) {
    throw invalid(`${field}.include`, `at most ${REQUEST_LIMITS.maxIncludeEntries} entries are allowed`);
  }
  const include: IncludeEntry[] = entries.map((entry, i) => ({
    sourceCIDR: cidr(`${field}.include[${i}].sourceCIDR`, entry.sourceCidr, true),
    sourcePort: port(`${field}.include[${i}].sourcePort`, entry.sourcePort),
    destinationCIDR: cidr(`${field}.include[${i}].destinationCIDR`, entry.destinationCidr, true),
    destinationPort: port(`${field}.include[${i}].destinationPort`, entry.destinationPort),
    protocol: protocol(`${field}.include[${i}].protocol`, entry.protocol, PROTOCOLS),
  }));
  const expression = bpf(`${field}.bpf`, message?.bpf);
  const endpointIps = [...(message?.endpointIps ?? [])];
  try {
    return { include, bpf: expression, endpointIps, filter: buildFilter(include, expression, endpointIps) };
  } catch (error) {
    if (!(error instanceof FilterError)) throw error;
    // libpcap's verdict, named after the request's field ("spec.filter.bpf: syntax error").
    const detail = error.message.startsWith(`${error.field}: `)
      ? error.message.slice(error.field.length + 2)
      : error.message;
    throw new RequestError(status.INVALID_ARGUMENT, `${field}.${error.field}`, detail, { cause: error });
  }
}

function formats(spec: SessionSpec__Output): OutputFormat[] {
  const names = spec.output?.formats ?? [];
  if (names.length === 0) return ['pcap'];
  const result: OutputFormat[] = [];
  for (const [i, name] of names.entries()) {
    const format = FORMATS[String(name)];
    if (format === undefined) throw invalid(`spec.output.formats[${i}]`, `unknown format ${JSON.stringify(name)}`);
    if (result.includes(format)) throw invalid(`spec.output.formats[${i}]`, `duplicate format ${format}`);
    if (!IMPLEMENTED_FORMATS.includes(format)) {
      throw new RequestError(
        status.UNIMPLEMENTED,
        `spec.output.formats[${i}]`,
        `format ${format} is not implemented yet`,
      );
    }
    result.push(format);
  }
  return result;
}

function labels(spec: SessionSpec__Output): Record<string, string> {
  const entries = Object.entries(spec.labels ?? {});
  if (entries.length > REQUEST_LIMITS.maxLabels) throw invalid('spec.labels', `at most ${REQUEST_LIMITS.maxLabels}`);
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > REQUEST_LIMITS.maxLabelKeyLength) {
      throw invalid(
        'spec.labels',
        `key ${JSON.stringify(key.slice(0, 64))} must be 1-${REQUEST_LIMITS.maxLabelKeyLength} characters`,
      );
    }
    if (value.length > REQUEST_LIMITS.maxLabelValueLength) {
      throw invalid(`spec.labels[${key}]`, `longer than ${REQUEST_LIMITS.maxLabelValueLength} characters`);
    }
  }
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * `withCredentials`: whether the StartSessionRequest carries export credentials (the spec then records
 * that they come from the request, never the credentials themselves).
 */
export function agentSessionSpec(
  spec: SessionSpec__Output | null | undefined,
  buildFilter: BuildFilter,
  withCredentials = false,
): SessionSpec {
  if (!spec) throw invalid('spec', 'is required');
  const recording = recordingRef(spec);
  const interfaces = spec.interfaces.length === 0 ? ['any'] : spec.interfaces;
  if (interfaces.length > REQUEST_LIMITS.maxInterfaces) {
    throw invalid('spec.interfaces', `at most ${REQUEST_LIMITS.maxInterfaces} interfaces per session`);
  }
  for (const [i, iface] of interfaces.entries()) {
    if (!INTERFACE_PATTERN.test(iface)) {
      throw invalid(`spec.interfaces[${i}]`, `${JSON.stringify(iface.slice(0, 64))} is not an interface name`);
    }
    if (interfaces.indexOf(iface) !== i) throw invalid(`spec.interfaces[${i}]`, `duplicate interface ${iface}`);
  }
  if (interfaces.length > 1 && interfaces.includes('any')) {
    throw invalid('spec.interfaces', '"any" already captures every interface: list it alone');
  }
  const { include, bpf: expression, endpointIps, filter } = agentFilter(spec.filter, 'spec.filter', buildFilter);
  const windowEndMs = windowEnd(spec.windowEnd);
  const destination = exportDestination(spec.export, withCredentials);
  const stop = spec.stopCondition;
  const rotation = spec.output?.rotation;
  const redaction = redactionSpec(spec.redaction);
  return {
    id: sessionIdFor(recording),
    recording,
    interfaces: [...interfaces],
    include,
    bpf: expression,
    endpointIps,
    filter,
    snaplen: bounded('spec.maxCaptureLength', spec.maxCaptureLength, REQUEST_LIMITS.maxSnaplen),
    limits: {
      packets: count('spec.stopCondition.packetsCapturedCount', stop?.packetsCapturedCount),
      bytes: count('spec.stopCondition.bytesCapturedCount', stop?.bytesCapturedCount),
      timeElapsedMs: durationMs(
        'spec.stopCondition.timeElapsed',
        stop?.timeElapsed,
        1,
        REQUEST_LIMITS.maxTimeElapsedMs,
      ),
    },
    formats: formats(spec),
    rotation: {
      maxFileBytes: fileBytes(rotation?.maxFileBytes),
      maxFileAgeMs: durationMs(
        'spec.output.rotation.maxFileAge',
        rotation?.maxFileAge,
        REQUEST_LIMITS.minFileAgeMs,
        REQUEST_LIMITS.maxFileAgeMs,
      ),
    },
    filePrefix: filePrefix('spec.filePrefix', spec.filePrefix, DEFAULT_FILE_PREFIX),
    labels: labels(spec),
    ...(windowEndMs !== undefined && { windowEndMs }),
    retention: retention(spec.retention),
    onStorageFull: storageFullPolicy(spec.onStorageFull),
    ...(destination && { export: destination }),
    ...(redaction && { redaction }),
  };
}

/** window_end as ms since the epoch; unset = no window end. A past instant is refused when starting. */
function windowEnd(value: SessionSpec__Output['windowEnd']): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value.seconds ?? 0);
  const nanos = Number(value.nanos ?? 0);
  if (!Number.isSafeInteger(seconds) || seconds <= 0 || seconds > REQUEST_LIMITS.maxEpochSeconds) {
    throw invalid('spec.windowEnd', `${String(value.seconds)} s is not a usable instant`);
  }
  if (!Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) throw invalid('spec.windowEnd', 'invalid nanos');
  return seconds * 1000 + Math.ceil(nanos / 1e6);
}

function fileBytes(value: unknown): number {
  const n = count('spec.output.rotation.maxFileBytes', value);
  if (n !== 0 && (n < REQUEST_LIMITS.minFileBytes || n > REQUEST_LIMITS.maxFileBytes)) {
    throw invalid(
      'spec.output.rotation.maxFileBytes',
      `must be 0 (no rotation) or between ${REQUEST_LIMITS.minFileBytes} and ${REQUEST_LIMITS.maxFileBytes}`,
    );
  }
  return n;
}
