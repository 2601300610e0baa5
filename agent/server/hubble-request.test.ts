import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { StartRecording__Output } from '../../proto/generated/recorder/StartRecording.js';
import { hubbleSessionSpec, type HubbleDefaults } from './hubble-request.js';
import { RequestError } from './request-error.js';

const defaults: HubbleDefaults = {
  interface: 'any',
  buildFilter: (include) => include.map((e) => `${e.protocol} ${e.destinationPort}`).join(' or '),
};

function start(overrides: Partial<StartRecording__Output> = {}): StartRecording__Output {
  return {
    filesink: { filePrefix: '' },
    include: [
      {
        sourceCidr: '10.0.0.0/8',
        sourcePort: 0,
        destinationCidr: '::/0',
        destinationPort: 53,
        protocol: 'PROTOCOL_UDP',
      },
    ],
    maxCaptureLength: 0,
    stopCondition: { bytesCapturedCount: 0, packetsCapturedCount: 0, timeElapsed: { seconds: 0, nanos: 0 } },
    ...overrides,
  };
}

const entry = (patch: Record<string, unknown>) => ({ ...start().include[0]!, ...patch });

describe('hubbleSessionSpec', () => {
  it('should map a Hubble start to a session spec with Hubble defaults', () => {
    const spec = hubbleSessionSpec(
      start({
        stopCondition: { bytesCapturedCount: 0, packetsCapturedCount: 5, timeElapsed: { seconds: 2, nanos: 0 } },
      }),
      defaults,
    );
    expect(spec).toMatchObject({
      interfaces: ['any'],
      filePrefix: 'hubble',
      formats: ['pcap'],
      filter: 'UDP 53',
      limits: { packets: 5, bytes: 0, timeElapsedMs: 2000 },
      include: [
        { sourceCIDR: '10.0.0.0/8', sourcePort: 0, destinationCIDR: '::/0', destinationPort: 53, protocol: 'UDP' },
      ],
    });
    expect(spec.id).toMatch(/^hubble-[0-9a-f]{12}$/);
  });

  it('should treat a time_elapsed of 0s as no limit', () => {
    expect(hubbleSessionSpec(start(), defaults).limits.timeElapsedMs).toBe(0);
  });

  it.each([
    { name: 'no start', value: null, field: 'start' },
    { name: 'no filter', value: start({ include: [] }), field: 'include' },
    {
      name: 'bad CIDR',
      value: start({ include: [entry({ sourceCidr: '10.0.0.0/33' })] }),
      field: 'include[0].source_cidr',
    },
    {
      name: 'empty CIDR',
      value: start({ include: [entry({ destinationCidr: '' })] }),
      field: 'include[0].destination_cidr',
    },
    { name: 'port 70000', value: start({ include: [entry({ sourcePort: 70_000 })] }), field: 'include[0].source_port' },
    { name: 'unknown protocol', value: start({ include: [entry({ protocol: 99 })] }), field: 'include[0].protocol' },
    {
      name: 'ICMP (not in Hubble)',
      value: start({ include: [entry({ protocol: 'PROTOCOL_ICMP' })] }),
      field: 'include[0].protocol',
    },
    { name: 'prefix ../x', value: start({ filesink: { filePrefix: '../x' } }), field: 'filesink.file_prefix' },
    {
      name: 'prefix too long',
      value: start({ filesink: { filePrefix: 'a'.repeat(21) } }),
      field: 'filesink.file_prefix',
    },
    { name: 'snaplen too big', value: start({ maxCaptureLength: 262_145 }), field: 'max_capture_length' },
    {
      name: 'negative duration',
      value: start({
        stopCondition: { bytesCapturedCount: 0, packetsCapturedCount: 0, timeElapsed: { seconds: -1, nanos: 0 } },
      }),
      field: 'stop_condition.time_elapsed',
    },
    {
      name: 'packet count beyond 2^53',
      value: start({ stopCondition: { bytesCapturedCount: 0, packetsCapturedCount: 2 ** 60, timeElapsed: null } }),
      field: 'stop_condition.packets_captured_count',
    },
  ])('should refuse $name naming $field', ({ value, field }) => {
    let error: unknown;
    try {
      hubbleSessionSpec(value as StartRecording__Output | null, defaults);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).code).toBe(status.INVALID_ARGUMENT);
    expect((error as RequestError).message.startsWith(`${field}: `)).toBe(true);
  });
});
