// Translates a Recording (plus the iteration and the pod IPs selected on one
// node) into the agent's typed session spec. The agent never reads Recordings.
import type { Recording } from '../api/recording.js';
import type {
  Duration,
  OutputFormatName,
  ProtocolName,
  SessionExportDestination,
  SessionFilter,
  SessionSpec,
} from './agent-proto.js';
import { parseDuration } from '../schedule/duration.js';

const protocols: Record<string, ProtocolName> = {
  ANY: 'PROTOCOL_ANY',
  TCP: 'PROTOCOL_TCP',
  UDP: 'PROTOCOL_UDP',
  SCTP: 'PROTOCOL_SCTP',
  ICMP: 'PROTOCOL_ICMP',
};

const formats: Record<string, OutputFormatName> = {
  pcap: 'OUTPUT_FORMAT_PCAP',
  pcapng: 'OUTPUT_FORMAT_PCAPNG',
  json: 'OUTPUT_FORMAT_JSON',
  dnstap: 'OUTPUT_FORMAT_DNSTAP',
  streams: 'OUTPUT_FORMAT_STREAMS',
};

const binarySuffix: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const decimalSuffix: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** A Kubernetes quantity of bytes ("64Mi", "1G", 1048576) as a number. */
export function parseBytes(quantity: number | string | undefined): number {
  if (quantity === undefined) return 0;
  if (typeof quantity === 'number') return quantity;
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(quantity.trim());
  if (match === null) throw new Error(`invalid byte quantity ${JSON.stringify(quantity)}`);
  const unit = match[2] ?? '';
  return Math.round(Number(match[1]) * (binarySuffix[unit] ?? decimalSuffix[unit] ?? 1));
}

export function toDuration(ms: number): Duration {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

/**
 * Pod IPs one session may carry in Filter.endpoint_ips: 250 pods on a node, dual-stack, with room to
 * spare. Must not exceed the agent's own limit (agent/server/limits.ts).
 */
export const MAX_ENDPOINT_IPS = 1024;

export class FilterLimitError extends Error {
  readonly code = 'TD_ERR_FILTER_LIMIT';
}

/** Throws FilterLimitError when a node's pod IPs exceed what one session may carry. */
export function checkEndpointLimit(podIPs: readonly string[]): void {
  if (podIPs.length > MAX_ENDPOINT_IPS) {
    throw new FilterLimitError(
      `${podIPs.length} pod IPs on the node match spec.target.podSelector; a session carries at most ${MAX_ENDPOINT_IPS}: narrow the podSelector`,
    );
  }
}

/** The session id agents use: "<recording uid>-<iteration>". */
export function sessionId(uid: string, iteration: number): string {
  return `${uid}-${iteration}`;
}

/** The session filter for `recording` on a node hosting `podIPs` (none without a podSelector). */
export function buildSessionFilter(recording: Recording, podIPs: string[]): SessionFilter {
  return {
    include: (recording.spec.filter?.include ?? []).map((rule) => ({
      sourceCidr: rule.sourceCIDR ?? '',
      sourcePort: rule.sourcePort ?? 0,
      destinationCidr: rule.destinationCIDR ?? '',
      destinationPort: rule.destinationPort ?? 0,
      protocol: protocols[rule.protocol] ?? 'PROTOCOL_ANY',
    })),
    bpf: (recording.spec.filter?.bpf ?? '').trim(),
    endpointIps: [...podIPs].sort(),
  };
}

/**
 * Whether two filters select the same packets as written (defaults filled in, so proto output compares;
 * bpf trimmed as the agent trims it; endpoint IPs as a set).
 */
export function sameFilter(a: SessionFilter, b: SessionFilter): boolean {
  const key = (f: SessionFilter): string =>
    JSON.stringify([
      (f.include ?? []).map((e) => [
        e.sourceCidr ?? '',
        e.sourcePort ?? 0,
        e.destinationCidr ?? '',
        e.destinationPort ?? 0,
        e.protocol ?? 'PROTOCOL_ANY',
      ]),
      (f.bpf ?? '').trim(),
      [...new Set(f.endpointIps ?? [])].sort(),
    ]);
  return key(a) === key(b);
}

export function toTimestamp(ms: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

/** retention as the agent's proto: TTLs and expireAfter as durations ("0s" and absent = none). */
export function buildRetention(recording: Recording): { pcapTtl: Duration; jsonTtl: Duration; expireAfter: Duration } {
  const retention = recording.spec.retention ?? {};
  return {
    pcapTtl: toDuration(parseDuration(retention.pcapTTL ?? '0s')),
    jsonTtl: toDuration(parseDuration(retention.jsonTTL ?? '0s')),
    expireAfter: toDuration(parseDuration(retention.expireAfter ?? '0s')),
  };
}

/**
 * The session's export destination: the Recording's own, else the operator's default (the chart's),
 * else none. Never credentials: those travel in StartSessionRequest.exportCredentials.
 */
export function buildExportDestination(
  recording: Recording,
  fallback?: SessionExportDestination,
): SessionExportDestination | undefined {
  const { s3, gcs } = recording.spec.export ?? {};
  if (s3) {
    return {
      s3: {
        bucket: s3.bucket,
        prefix: s3.prefix ?? '',
        region: s3.region ?? '',
        endpoint: s3.endpoint ?? '',
        forcePathStyle: s3.forcePathStyle ?? false,
      },
    };
  }
  if (gcs) return { gcs: { bucket: gcs.bucket, prefix: gcs.prefix ?? '', endpoint: gcs.endpoint ?? '' } };
  return fallback;
}

/** The session spec; `windowEnd` (ms) is the iteration's window end: the agent stops there by itself. */
export function buildSessionSpec(
  recording: Recording,
  iteration: number,
  podIPs: string[],
  windowEnd?: number,
  exportDestination?: SessionExportDestination,
): SessionSpec {
  const spec = recording.spec;
  const stop = spec.stopCondition ?? {};
  return {
    recording: {
      namespace: recording.metadata.namespace ?? '',
      name: recording.metadata.name ?? '',
      uid: recording.metadata.uid ?? '',
      iteration,
    },
    interfaces: spec.target.interfaces,
    filter: buildSessionFilter(recording, podIPs),
    maxCaptureLength: spec.maxCaptureLength,
    stopCondition: {
      packetsCapturedCount: stop.packetsCapturedCount ?? 0,
      bytesCapturedCount: stop.bytesCapturedCount ?? 0,
      timeElapsed: toDuration(parseDuration(stop.timeElapsed ?? '0s')),
    },
    output: {
      formats: spec.output.formats.map((f) => formats[f] ?? 'OUTPUT_FORMAT_UNSPECIFIED'),
      rotation: {
        maxFileBytes: parseBytes(spec.output.rotation.maxFileBytes),
        maxFileAge: toDuration(parseDuration(spec.output.rotation.maxFileAge)),
      },
    },
    filePrefix: 'tapedeck',
    labels: { 'tapedeck.dev/recording': `${recording.metadata.namespace ?? ''}/${recording.metadata.name ?? ''}` },
    ...(windowEnd === undefined ? {} : { windowEnd: toTimestamp(windowEnd) }),
    retention: buildRetention(recording),
    onStorageFull: spec.output.onStorageFull === 'Stop' ? 'STORAGE_FULL_POLICY_STOP' : 'STORAGE_FULL_POLICY_CONTINUE',
    ...(exportDestination && { export: exportDestination }),
    ...buildRedaction(recording),
  };
}

/** spec.output.json.redact as the agent's Redaction; absent = the agent's defaults. */
export function buildRedaction(recording: Recording): Pick<SessionSpec, 'redaction'> {
  const redact = recording.spec.output.json?.redact;
  if (!redact) return {};
  return {
    redaction: {
      headers: redact.headers ?? [],
      queryParameters: redact.queryParameters ?? [],
      disabled: redact.disabled,
    },
  };
}
