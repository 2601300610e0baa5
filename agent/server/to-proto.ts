// Session snapshots as proto messages (Hubble's and tapedeck's).
import type { RecordingStatistics } from '../../proto/generated/recorder/RecordingStatistics.js';
import type { Timestamp } from '../../proto/generated/google/protobuf/Timestamp.js';
import type { Session } from '../../proto/generated/tapedeck/agent/v1/Session.js';
import type { SessionSpec as SessionSpecProto } from '../../proto/generated/tapedeck/agent/v1/SessionSpec.js';
import type { OutputFormat } from '../../proto/generated/tapedeck/agent/v1/OutputFormat.js';
import type { SessionState as SessionStateProto } from '../../proto/generated/tapedeck/agent/v1/SessionState.js';
import type { StopReason as StopReasonProto } from '../../proto/generated/tapedeck/agent/v1/StopReason.js';
import type { SessionSnapshot, SessionState, SessionStats } from '../session/session-snapshot.js';
import type { SessionSpec } from '../session/session-spec.js';
import type { StopReason } from '../session/stop-condition.js';

export function timestamp(date: Date): Timestamp {
  const ms = date.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

function duration(ms: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

export function hubbleStats(stats: SessionStats): RecordingStatistics {
  return {
    bytesCaptured: stats.bytesCaptured,
    packetsCaptured: stats.packetsCaptured,
    packetsLost: stats.packetsLost,
    bytesLost: stats.bytesLost,
  };
}

const STATE: Record<SessionState, SessionStateProto> = {
  Running: 'SESSION_STATE_RUNNING',
  Stopping: 'SESSION_STATE_RUNNING',
  Stopped: 'SESSION_STATE_STOPPED',
  Failed: 'SESSION_STATE_FAILED',
};

const REASON: Record<StopReason, StopReasonProto> = {
  PacketLimit: 'STOP_REASON_PACKET_LIMIT',
  ByteLimit: 'STOP_REASON_BYTE_LIMIT',
  TimeElapsed: 'STOP_REASON_TIME_ELAPSED',
  Stopped: 'STOP_REASON_STOPPED',
  Duration: 'STOP_REASON_DURATION',
  StorageFull: 'STOP_REASON_STORAGE_FULL',
  Error: 'STOP_REASON_ERROR',
  Shutdown: 'STOP_REASON_SHUTDOWN',
};

export const STOP_REASON_FROM_PROTO: Readonly<Record<string, StopReason>> = Object.fromEntries(
  Object.entries(REASON).map(([reason, proto]) => [proto, reason as StopReason]),
);

function formatProto(format: string): OutputFormat {
  return `OUTPUT_FORMAT_${format.toUpperCase()}` as OutputFormat;
}

function specProto(spec: SessionSpec): SessionSpecProto {
  return {
    ...(spec.recording && { recording: spec.recording }),
    interfaces: [...spec.interfaces],
    filter: {
      include: spec.include.map((e) => ({
        sourceCidr: e.sourceCIDR,
        sourcePort: e.sourcePort,
        destinationCidr: e.destinationCIDR,
        destinationPort: e.destinationPort,
        protocol: `PROTOCOL_${e.protocol}` as const,
      })),
      bpf: spec.bpf,
      endpointIps: [...spec.endpointIps],
    },
    maxCaptureLength: spec.snaplen,
    stopCondition: {
      packetsCapturedCount: spec.limits.packets,
      bytesCapturedCount: spec.limits.bytes,
      timeElapsed: duration(spec.limits.timeElapsedMs),
    },
    output: {
      formats: spec.formats.map(formatProto),
      rotation: { maxFileBytes: spec.rotation.maxFileBytes, maxFileAge: duration(spec.rotation.maxFileAgeMs) },
    },
    filePrefix: spec.filePrefix,
    labels: { ...spec.labels },
    ...(spec.windowEndMs !== undefined && { windowEnd: timestamp(new Date(spec.windowEndMs)) }),
    ...(spec.redaction && {
      redaction: {
        headers: [...spec.redaction.headers],
        queryParameters: [...spec.redaction.queryParameters],
        disabled: spec.redaction.disabled,
      },
    }),
  };
}

export function sessionProto(snapshot: SessionSnapshot): Session {
  return {
    id: snapshot.id,
    nodeName: snapshot.nodeName,
    spec: specProto(snapshot.spec),
    state: STATE[snapshot.state],
    stopReason: snapshot.stopReason ? REASON[snapshot.stopReason] : 'STOP_REASON_UNSPECIFIED',
    message: snapshot.message,
    stats: { ...snapshot.stats },
    files: snapshot.files.map((f) => ({
      path: f.path,
      format: formatProto(f.format),
      bytes: f.bytes,
      packets: f.packets,
      sha256: f.sha256,
      closed: f.closed,
      ...(f.firstPacketTime && { firstPacketTime: timestamp(f.firstPacketTime) }),
      ...(f.closeTime && { closeTime: timestamp(f.closeTime) }),
      interfaces: [...f.interfaces],
      linkType: f.linkType,
    })),
    startTime: timestamp(snapshot.startTime),
    ...(snapshot.stopTime && { stopTime: timestamp(snapshot.stopTime) }),
    segment: snapshot.segment,
    gaps: snapshot.gaps.map((g) => ({ from: timestamp(g.from), to: timestamp(g.to), reason: g.reason })),
    ...(snapshot.records && { records: { ...snapshot.records } }),
  };
}
