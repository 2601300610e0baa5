import { describe, expect, it } from 'vitest';
import { recordingFixture } from '../controller/recording-fixture.js';
import { buildSessionSpec, narrowBpf, parseBytes, sessionId, toDuration } from './session-spec.js';

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

describe('narrowBpf', () => {
  it.each<[string, string[], string]>([
    ['', [], ''],
    ['tcp', [], 'tcp'],
    ['', ['10.0.0.1'], '(host 10.0.0.1)'],
    ['udp port 53', ['10.0.0.1', 'fd00::1'], '(udp port 53) and (host 10.0.0.1 or host fd00::1)'],
  ])('should narrow %j by %j', (bpf, ips, expected) => {
    expect(narrowBpf(bpf, ips)).toBe(expected);
  });
});

describe('buildSessionSpec', () => {
  it('should carry the Recording into the agent spec', () => {
    const recording = recordingFixture({
      target: { interfaces: ['eth0'] },
      filter: {
        include: [{ sourceCIDR: '10.0.0.0/8', destinationPort: 443, protocol: 'TCP' }, { protocol: 'ANY' }],
        bpf: 'not port 22',
      },
      maxCaptureLength: 128,
      stopCondition: { packetsCapturedCount: 500, timeElapsed: '1m30s' },
      output: { formats: ['pcap', 'json'], rotation: { maxFileBytes: '64Mi', maxFileAge: '5m' } },
    });
    expect(buildSessionSpec(recording, 3, ['10.1.2.3'])).toEqual({
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
        bpf: '(not port 22) and (host 10.1.2.3)',
      },
      maxCaptureLength: 128,
      stopCondition: { packetsCapturedCount: 500, bytesCapturedCount: 0, timeElapsed: { seconds: 90, nanos: 0 } },
      output: {
        formats: ['OUTPUT_FORMAT_PCAP', 'OUTPUT_FORMAT_JSON'],
        rotation: { maxFileBytes: 64 * 2 ** 20, maxFileAge: { seconds: 300, nanos: 0 } },
      },
      filePrefix: 'tapedeck',
      labels: { 'tapedeck.dev/recording': 'ns/r' },
    });
  });

  it('should key sessions by uid and iteration', () => {
    expect(sessionId('abc', 2)).toBe('abc-2');
    expect(toDuration(1_250)).toEqual({ seconds: 1, nanos: 250_000_000 });
  });
});
