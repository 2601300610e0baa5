// Session snapshots as proto messages (Hubble's and tapedeck's).
import type { RecordingStatistics } from '../../proto/generated/recorder/RecordingStatistics.js';
import type { Timestamp } from '../../proto/generated/google/protobuf/Timestamp.js';
import type { Session } from '../../proto/generated/tapedeck/agent/v1/Session.js';
import type { SessionSpec as SessionSpecProto } from '../../proto/generated/tapedeck/agent/v1/SessionSpec.js';
import type { OutputFormat } from '../../proto/generated/tapedeck/agent/v1/OutputFormat.js';
import type { SessionState as SessionStateProto } from '../../proto/generated/tapedeck/agent/v1/SessionState.js';
import type { StopReason as StopReasonProto } from '../../proto/generated/tapedeck/agent/v1/StopReason.js';
import type { SessionSnapshot, SessionState, SessionStats } from '../session/session-snapshot.js';
import type { ExportDestination, SessionSpec } from '../session/session-spec.js';
import type { ExportDestination as ExportDestinationProto } from '../../proto/generated/tapedeck/agent/v1/ExportDestination.js';
import type { ExportStatus } from '../../proto/generated/tapedeck/agent/v1/ExportStatus.js';
import type { ExportedFile, SessionExportStatus } from '../export/export-service.js';
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
    ...(spec.retention && {
      retention: {
        pcapTtl: duration(spec.retention.pcapTtlMs),
        jsonTtl: duration(spec.retention.jsonTtlMs),
        expireAfter: duration(spec.retention.expireAfterMs),
      },
    }),
    onStorageFull: spec.onStorageFull === 'Stop' ? 'STORAGE_FULL_POLICY_STOP' : 'STORAGE_FULL_POLICY_CONTINUE',
    ...(spec.export && { export: exportDestinationProto(spec.export) }),
    ...(spec.redaction && {
      redaction: {
        headers: [...spec.redaction.headers],
        queryParameters: [...spec.redaction.queryParameters],
        disabled: spec.redaction.disabled,
      },
    }),
  };
}

/** What the export stage knows of a session (agent/export/export-service.ts), for Session.export. */
export interface ExportView {
  status(sessionId: string): SessionExportStatus | undefined;
  exportedFile(sessionId: string, path: string): ExportedFile | undefined;
}

function exportStatusProto(status: SessionExportStatus | undefined, expiredByRetention: number): ExportStatus {
  const expired = Math.max(status?.filesExpiredUnexported ?? 0, expiredByRetention);
  if (status === undefined) return { filesExpiredUnexported: expired };
  return {
    filesPending: status.filesPending,
    filesExported: status.filesExported,
    failedAttempts: status.failedAttempts,
    lastErrorCode: status.lastErrorCode,
    lastError: status.lastError,
    manifestUrl: status.manifestUrl,
    manifestComplete: status.manifestComplete,
    ...(status.credentialsExpiryMs !== undefined && {
      credentialsExpiry: timestamp(new Date(status.credentialsExpiryMs)),
    }),
    filesExpiredUnexported: expired,
  };
}

function exportDestinationProto(destination: ExportDestination): ExportDestinationProto {
  return destination.kind === 's3'
    ? {
        s3: {
          bucket: destination.bucket,
          prefix: destination.prefix,
          region: destination.region,
          endpoint: destination.endpoint,
          forcePathStyle: destination.forcePathStyle,
        },
      }
    : { gcs: { bucket: destination.bucket, prefix: destination.prefix, endpoint: destination.endpoint } };
}

export function sessionProto(snapshot: SessionSnapshot, exports?: ExportView): Session {
  const exportStatus = exports?.status(snapshot.id);
  return {
    id: snapshot.id,
    nodeName: snapshot.nodeName,
    spec: specProto(snapshot.spec),
    state: STATE[snapshot.state],
    stopReason: snapshot.stopReason ? REASON[snapshot.stopReason] : 'STOP_REASON_UNSPECIFIED',
    message: snapshot.message,
    stats: { ...snapshot.stats },
    files: snapshot.files.map((f) => {
      const exported = exports?.exportedFile(snapshot.id, f.path);
      return {
        path: f.path,
        format: formatProto(f.format),
        bytes: f.bytes,
        packets: f.packets,
        sha256: f.sha256 || (exported?.sha256 ?? ''),
        closed: f.closed,
        ...(f.firstPacketTime && { firstPacketTime: timestamp(f.firstPacketTime) }),
        ...(f.closeTime && { closeTime: timestamp(f.closeTime) }),
        interfaces: [...f.interfaces],
        linkType: f.linkType,
        exportedUrl: exported?.url ?? '',
        ...(f.deletedTime && { deletedTime: timestamp(f.deletedTime) }),
        ...(f.deletedReason !== undefined && { deletedReason: f.deletedReason }),
      };
    }),
    startTime: timestamp(snapshot.startTime),
    ...(snapshot.stopTime && { stopTime: timestamp(snapshot.stopTime) }),
    segment: snapshot.segment,
    gaps: snapshot.gaps.map((g) => ({ from: timestamp(g.from), to: timestamp(g.to), reason: g.reason })),
    storageFull: snapshot.storage?.full ?? false,
    packetsLostStorage: snapshot.storage?.lostPackets ?? 0,
    bytesLostStorage: snapshot.storage?.lostBytes ?? 0,
    expired: snapshot.retention?.expired ?? false,
    ...(snapshot.retention?.expireTime && { expireTime: timestamp(snapshot.retention.expireTime) }),
    // Files a TTL deleted before export: retention counts them as it deletes, the export stage when it
    // finds one gone; either is the same files.
    ...(snapshot.spec.export !== undefined && {
      export: exportStatusProto(exportStatus, snapshot.retention?.expiredUnexported ?? 0),
    }),
    ...(snapshot.records && { records: { ...snapshot.records } }),
  };
}
