import { describe, expect, it } from 'vitest';
import type { Session } from './agent-proto.js';
import { toReport } from './grpc-agent-client.js';

function session(extra: Partial<Session>): Session {
  return {
    id: 'u-1',
    nodeName: 'n1',
    spec: {
      recording: { namespace: 'ns', name: 'r', uid: 'u', iteration: 1 },
      interfaces: [],
      filter: null,
      maxCaptureLength: 0,
      stopCondition: null,
      output: null,
      filePrefix: '',
      labels: {},
      windowEnd: null,
      retention: null,
      onStorageFull: 'STORAGE_FULL_POLICY_CONTINUE',
      export: null,
      redaction: null,
    },
    state: 'SESSION_STATE_RUNNING',
    stopReason: 'STOP_REASON_UNSPECIFIED',
    message: '',
    stats: { packetsCaptured: 5, bytesCaptured: 500, packetsLost: 1, bytesLost: 100 },
    files: [],
    startTime: null,
    stopTime: null,
    segment: 0,
    gaps: [],
    export: null,
    storageFull: false,
    packetsLostStorage: 0,
    bytesLostStorage: 0,
    expired: false,
    expireTime: null,
    records: null,
    ...extra,
  };
}

describe('toReport', () => {
  it.each<[Session['state'], Session['stopReason'], string, string | undefined]>([
    ['SESSION_STATE_RUNNING', 'STOP_REASON_UNSPECIFIED', 'Running', undefined],
    ['SESSION_STATE_STOPPED', 'STOP_REASON_PACKET_LIMIT', 'Stopped', 'PacketLimit'],
    ['SESSION_STATE_STOPPED', 'STOP_REASON_BYTE_LIMIT', 'Stopped', 'ByteLimit'],
    ['SESSION_STATE_STOPPED', 'STOP_REASON_DURATION', 'Stopped', 'Duration'],
    ['SESSION_STATE_STOPPED', 'STOP_REASON_SHUTDOWN', 'Stopped', 'Stopped'],
    ['SESSION_STATE_FAILED', 'STOP_REASON_ERROR', 'Failed', 'Error'],
  ])('should map %s/%s', (state, stopReason, expectedState, expectedReason) => {
    const report = toReport(session({ state, stopReason }));
    expect(report.state).toBe(expectedState);
    expect(report.stopReason).toBe(expectedReason);
  });

  it('should carry key, statistics and files', () => {
    const files = [
      {
        path: '/d/a.pcap',
        format: 'OUTPUT_FORMAT_PCAP' as const,
        bytes: 24,
        packets: 0,
        sha256: '',
        closed: true,
        firstPacketTime: null,
        closeTime: null,
        interfaces: [],
        linkType: 1,
        exportedUrl: '',
        deletedTime: null,
        deletedReason: '',
      },
    ];
    expect(toReport(session({ files, message: 'hi' }))).toEqual({
      recordingUid: 'u',
      iteration: 1,
      state: 'Running',
      packetsCaptured: 5,
      bytesCaptured: 500,
      packetsLost: 1,
      bytesLost: 100,
      message: 'hi',
      files: [{ path: '/d/a.pcap', format: 'pcap', bytes: 24, closed: true }],
    });
  });

  it('should carry the filter the session captures with now', () => {
    const base = session({});
    const filter = { include: [], bpf: 'udp', endpointIps: ['10.0.0.1'] };
    const report = toReport({ ...base, spec: base.spec && { ...base.spec, filter } });
    expect(report.filter).toEqual({ include: [], bpf: 'udp', endpointIps: ['10.0.0.1'] });
  });
});
