// A session that ended before this agent process started (or was ended by
// recovery), as the state store holds it: listed with its files, never
// capturing again.
import { SessionError, SessionErrorCode } from './session-error.js';
import type { ManagedSession } from './managed-session.js';
import type { SessionFile, SessionSnapshot, SessionStats } from './session-snapshot.js';
import { SessionState } from './session-snapshot.js';
import type { FilterUpdate, SessionSpec } from './session-spec.js';
import type { StoredFile, StoredSession } from '../state/stored-records.js';
import { DeletedReason, StoredState } from '../state/stored-records.js';
import type { SessionJournal } from './ports.js';

export function sessionFileOf(file: StoredFile): SessionFile {
  return {
    path: file.path,
    format: file.format,
    bytes: file.bytes,
    packets: file.packets,
    sha256: file.sha256,
    closed: file.closed,
    ...(file.firstPacketMs !== undefined && { firstPacketTime: new Date(file.firstPacketMs) }),
    ...(file.lastPacketMs !== undefined && { lastPacketTime: new Date(file.lastPacketMs) }),
    ...(file.closeMs !== undefined && { closeTime: new Date(file.closeMs) }),
    interfaces: file.interfaces,
    linkType: file.linkType,
    segment: file.segment,
    ...(file.deletedMs !== undefined && { deletedTime: new Date(file.deletedMs) }),
    ...(file.deletedReason !== undefined && { deletedReason: file.deletedReason }),
  };
}

/** Packets and captured bytes a session wrote: those of its first output format's files. */
export function capturedBy(spec: SessionSpec, files: readonly StoredFile[]): { packets: number; bytes: number } {
  const primary = spec.formats[0] ?? 'pcap';
  let packets = 0;
  let bytes = 0;
  for (const file of files) {
    if (file.format !== primary) continue;
    packets += file.packets;
    bytes += file.capturedBytes;
  }
  return { packets, bytes };
}

/** A stopped session as the state store holds it now. */
export function archivedView(stored: StoredSession, files: readonly StoredFile[], nodeName: string): SessionSnapshot {
  const captured = capturedBy(stored.spec, files);
  const exports = stored.spec.export !== undefined;
  const expiredUnexported = exports
    ? files.filter((f) => f.deletedReason !== undefined && f.deletedReason !== DeletedReason.Evicted && !f.uploadedMs)
        .length
    : 0;
  return {
    id: stored.id,
    nodeName,
    spec: stored.spec,
    state: stored.state === StoredState.Failed ? SessionState.Failed : SessionState.Stopped,
    ...(stored.stopReason !== undefined && { stopReason: stored.stopReason }),
    message: stored.message,
    stats: {
      packetsCaptured: captured.packets,
      bytesCaptured: captured.bytes,
      packetsLost: stored.priorLostPackets + stored.segmentLostPackets,
      bytesLost: stored.priorLostBytes + stored.segmentLostBytes,
    },
    files: files.map(sessionFileOf),
    startTime: new Date(stored.firstStartMs),
    ...(stored.stopMs !== undefined && { stopTime: new Date(stored.stopMs) }),
    segment: stored.segment,
    gaps: stored.gaps.map((g) => ({ from: new Date(g.fromMs), to: new Date(g.toMs), reason: g.reason })),
    storage: { full: false, lostPackets: stored.storageLostPackets ?? 0, lostBytes: stored.storageLostBytes ?? 0 },
    retention: {
      ...(stored.expireAtMs !== undefined && { expireTime: new Date(stored.expireAtMs) }),
      expired: stored.expiredMs !== undefined,
      expiredUnexported,
    },
  };
}

export class ArchivedSession implements ManagedSession {
  private view: SessionSnapshot;

  /** With `journal`, every snapshot re-reads the store (retention deletes files, expires the run). */
  constructor(
    private stored: StoredSession,
    files: readonly StoredFile[],
    private readonly nodeName: string,
    private readonly journal?: SessionJournal,
  ) {
    this.view = archivedView(stored, files, nodeName);
  }

  get id(): string {
    return this.view.id;
  }

  get spec(): SessionSpec {
    return this.view.spec;
  }

  isActive(): boolean {
    return false;
  }

  stats(): SessionStats {
    return this.view.stats;
  }

  snapshot(): SessionSnapshot {
    if (this.journal !== undefined) {
      this.stored = this.journal.session(this.stored.id) ?? this.stored;
      this.view = archivedView(this.stored, this.journal.files(this.stored.id), this.nodeName);
    }
    return this.view;
  }

  stop(): Promise<SessionSnapshot> {
    return Promise.resolve(this.view);
  }

  updateFilter(update: FilterUpdate): Promise<SessionSnapshot> {
    const { include, bpf, endpointIps } = this.spec;
    if (
      JSON.stringify([update.include, update.bpf, update.endpointIps]) === JSON.stringify([include, bpf, endpointIps])
    ) {
      return Promise.resolve(this.view);
    }
    return Promise.reject(new SessionError(SessionErrorCode.NotRunning, `session ${this.id} is not running`));
  }

  done(): Promise<SessionSnapshot> {
    return Promise.resolve(this.view);
  }
}
