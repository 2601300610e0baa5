import { describe, expect, it } from 'vitest';
import { recordingFixture } from '../controller/recording-fixture.js';
import {
  MAX_ENDPOINT_IPS,
  buildSessionSpec,
  checkEndpointLimit,
  parseBytes,
  sameFilter,
  sessionId,
  toDuration,
} from './session-spec.js';

describe('parseBytes', () => {
  it.each<[number | string | undefined, number]>([
    [undefined, 0],
    [1024, 1024],
    ['0', 0],
    ['64Mi', 64 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1.5Ki', 1536],
    ['2k', 2000],
    ['3M', 3_000_000],
  ])('should read %j as %i bytes', (quantity, bytes) => {
    expect(parseBytes(quantity)).toBe(bytes);
  });

  it.each(['', 'Mi', '-1', '5 Mi', '1e3'])('should reject %j', (quantity) => {
    expect(() => parseBytes(quantity)).toThrow('invalid byte quantity');
  });
});

describe('sameFilter', () => {
  const base = { include: [], bpf: 'udp', endpointIps: ['10.0.0.2', '10.0.0.1'] };
  it.each<[string, Partial<typeof base>, boolean]>([
    ['the same filter', {}, true],
    ['surrounding whitespace in bpf', { bpf: '  udp\n' }, true],
    ['endpoint IPs in another order', { endpointIps: ['10.0.0.1', '10.0.0.2'] }, true],
    ['another bpf', { bpf: 'tcp' }, false],
    ['another endpoint IP', { endpointIps: ['10.0.0.1'] }, false],
  ])('should compare %s as %s', (_what, change, same) => {
    expect(sameFilter(base, { ...base, ...change })).toBe(same);
  });
});

describe('checkEndpointLimit', () => {
  const ips = (n: number): string[] =>
    Array.from({ length: n }, (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
  it('should accept 250 dual-stack pods on a node', () => {
    expect(() => checkEndpointLimit(ips(500))).not.toThrow();
  });
  it('should refuse more pod IPs than a session carries, with what to do', () => {
    expect(() => checkEndpointLimit(ips(MAX_ENDPOINT_IPS + 1))).toThrow(
      /1025 pod IPs .* at most 1024: narrow the podSelector/,
    );
  });
});

describe('buildSessionSpec', () => {
  it('should carry the Recording into the agent spec', () => {
    const recording = recordingFixture({
      target: { interfaces: ['eth0'] },
      filter: {
        include: [{ sourceCIDR: '10.0.0.0/8', destinationPort: 443, protocol: 'TCP' }, { protocol: 'ANY' }],
        bpf: ' not port 22 ',
      },
      maxCaptureLength: 128,
      stopCondition: { packetsCapturedCount: 500, timeElapsed: '1m30s' },
      output: {
        formats: ['pcap', 'json'],
        rotation: { maxFileBytes: '64Mi', maxFileAge: '5m' },
        onStorageFull: 'Continue',
      },
    });
    expect(buildSessionSpec(recording, 3, ['10.1.2.3'], Date.parse('2026-03-10T11:00:00.5Z'))).toEqual({
      recording: { namespace: 'ns', name: 'r', uid: 'uid-1', iteration: 3 },
      interfaces: ['eth0'],
      filter: {
        include: [
          {
            sourceCidr: '10.0.0.0/8',
            sourcePort: 0,
            destinationCidr: '',
            destinationPort: 443,
            protocol: 'PROTOCOL_TCP',
          },
          { sourceCidr: '', sourcePort: 0, destinationCidr: '', destinationPort: 0, protocol: 'PROTOCOL_ANY' },
        ],
        bpf: 'not port 22',
        endpointIps: ['10.1.2.3'],
      },
      maxCaptureLength: 128,
      stopCondition: { packetsCapturedCount: 500, bytesCapturedCount: 0, timeElapsed: { seconds: 90, nanos: 0 } },
      output: {
        formats: ['OUTPUT_FORMAT_PCAP', 'OUTPUT_FORMAT_JSON'],
        rotation: { maxFileBytes: 64 * 2 ** 20, maxFileAge: { seconds: 300, nanos: 0 } },
      },
      filePrefix: 'tapedeck',
      labels: { 'tapedeck.dev/recording': 'ns/r' },
      windowEnd: { seconds: Date.parse('2026-03-10T11:00:00Z') / 1000, nanos: 500_000_000 },
      retention: {
        pcapTtl: { seconds: 0, nanos: 0 },
        jsonTtl: { seconds: 0, nanos: 0 },
        expireAfter: { seconds: 259200, nanos: 0 },
      },
      onStorageFull: 'STORAGE_FULL_POLICY_CONTINUE',
    });
  });

  it('should carry spec.output.json.redact as the session redaction, and leave it unset by default', () => {
    const output = {
      formats: ['json' as const],
      rotation: { maxFileBytes: '64Mi', maxFileAge: '5m' },
      onStorageFull: 'Continue' as const,
    };
    const redacting = recordingFixture({
      output: { ...output, json: { redact: { headers: ['X-Api-Key'], queryParameters: ['token'], disabled: false } } },
    });
    expect(buildSessionSpec(redacting, 1, []).redaction).toEqual({
      headers: ['X-Api-Key'],
      queryParameters: ['token'],
      disabled: false,
    });
    const off = recordingFixture({ output: { ...output, json: { redact: { disabled: true } } } });
    expect(buildSessionSpec(off, 1, []).redaction).toEqual({ headers: [], queryParameters: [], disabled: true });
    expect(buildSessionSpec(recordingFixture({ output }), 1, []).redaction).toBeUndefined();
  });

  it('should key sessions by uid and iteration', () => {
    expect(sessionId('abc', 2)).toBe('abc-2');
    expect(toDuration(1_250)).toEqual({ seconds: 1, nanos: 250_000_000 });
  });
});
