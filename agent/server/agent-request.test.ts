import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { SessionSpec__Output } from '../../proto/generated/tapedeck/agent/v1/SessionSpec.js';
import { agentSessionSpec } from './agent-request.js';
import { captureFilter } from './capture-filter.js';
import type { BuildFilter } from './hubble-request.js';
import { RequestError } from './request-error.js';

const buildFilter: BuildFilter = (include, bpf) =>
  [...include.map((e) => e.protocol), bpf].filter(Boolean).join(' and ');

function spec(patch: Record<string, unknown> = {}): SessionSpec__Output {
  return {
    recording: {
      namespace: 'shop',
      name: 'checkout-errors',
      uid: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
      iteration: 3,
    },
    interfaces: [],
    filter: {
      include: [
        {
          sourceCidr: '',
          sourcePort: 0,
          destinationCidr: '10.0.0.0/8',
          destinationPort: 443,
          protocol: 'PROTOCOL_TCP',
        },
      ],
      bpf: ' not port 22 ',
      endpointIps: [],
    },
    maxCaptureLength: 128,
    stopCondition: { packetsCapturedCount: 0, bytesCapturedCount: 1000, timeElapsed: { seconds: 60, nanos: 0 } },
    output: {
      formats: ['OUTPUT_FORMAT_PCAPNG'],
      rotation: { maxFileBytes: 64 * 1024 * 1024, maxFileAge: { seconds: 300, nanos: 0 } },
    },
    filePrefix: '',
    labels: { team: 'web' },
    windowEnd: null,
    retention: null,
    onStorageFull: 'STORAGE_FULL_POLICY_CONTINUE',
    export: null,
    redaction: null,
    ...patch,
  } as SessionSpec__Output;
}

function refusal(value: SessionSpec__Output | null): RequestError {
  try {
    agentSessionSpec(value, buildFilter);
  } catch (error) {
    if (error instanceof RequestError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('agentSessionSpec', () => {
  it('should map a StartSession spec with the session id uid-iteration', () => {
    expect(agentSessionSpec(spec(), buildFilter)).toMatchObject({
      id: '1b4e28ba-2fa1-11d2-883f-0016d3cca427-3',
      interfaces: ['any'],
      bpf: 'not port 22',
      filter: 'TCP and not port 22',
      snaplen: 128,
      limits: { packets: 0, bytes: 1000, timeElapsedMs: 60_000 },
      formats: ['pcapng'],
      rotation: { maxFileBytes: 64 * 1024 * 1024, maxFileAgeMs: 300_000 },
      filePrefix: 'tapedeck',
      labels: { team: 'web' },
    });
  });

  it('should keep several interfaces in their order', () => {
    expect(agentSessionSpec(spec({ interfaces: ['veth1', 'veth0'] }), buildFilter).interfaces).toEqual([
      'veth1',
      'veth0',
    ]);
  });

  it('should default to pcap when no format is given', () => {
    expect(agentSessionSpec(spec({ output: null }), buildFilter).formats).toEqual(['pcap']);
  });

  it.each([
    { name: 'no spec', value: null, code: status.INVALID_ARGUMENT, field: 'spec' },
    { name: 'no recording', value: spec({ recording: null }), code: status.INVALID_ARGUMENT, field: 'spec.recording' },
    {
      name: 'namespace ../etc',
      value: spec({ recording: { namespace: '../etc', name: 'r', uid: 'u', iteration: 1 } }),
      code: status.INVALID_ARGUMENT,
      field: 'spec.recording.namespace',
    },
    {
      name: 'uid with a slash',
      value: spec({ recording: { namespace: 'n', name: 'r', uid: 'a/b', iteration: 1 } }),
      code: status.INVALID_ARGUMENT,
      field: 'spec.recording.uid',
    },
    {
      name: 'iteration 0',
      value: spec({ recording: { namespace: 'n', name: 'r', uid: 'u', iteration: 0 } }),
      code: status.INVALID_ARGUMENT,
      field: 'spec.recording.iteration',
    },
    {
      name: '17 interfaces',
      value: spec({ interfaces: Array.from({ length: 17 }, (_, i) => `eth${i}`) }),
      code: status.INVALID_ARGUMENT,
      field: 'spec.interfaces',
    },
    {
      name: 'a duplicate interface',
      value: spec({ interfaces: ['eth0', 'eth1', 'eth0'] }),
      code: status.INVALID_ARGUMENT,
      field: 'spec.interfaces[2]',
    },
    {
      name: 'any with another interface',
      value: spec({ interfaces: ['eth0', 'any'] }),
      code: status.INVALID_ARGUMENT,
      field: 'spec.interfaces',
    },
    {
      name: 'interface with a space',
      value: spec({ interfaces: ['eth0 x'] }),
      code: status.INVALID_ARGUMENT,
      field: 'spec.interfaces[0]',
    },
    {
      name: 'bpf flag',
      value: spec({ filter: { include: [], bpf: '-w /tmp/x' } }),
      code: status.INVALID_ARGUMENT,
      field: 'spec.filter.bpf',
    },
    {
      name: 'bpf too long',
      value: spec({ filter: { include: [], bpf: 'a'.repeat(4097) } }),
      code: status.INVALID_ARGUMENT,
      field: 'spec.filter.bpf',
    },
    {
      name: 'port 70000',
      value: spec({ filter: { include: [{ destinationPort: 70_000 }], bpf: '' } }),
      code: status.INVALID_ARGUMENT,
      field: 'spec.filter.include[0].destinationPort',
    },
    {
      name: 'dnstap output',
      value: spec({ output: { formats: ['OUTPUT_FORMAT_DNSTAP'] } }),
      code: status.UNIMPLEMENTED,
      field: 'spec.output.formats[0]',
    },
    {
      name: 'a redacted header name with a space',
      value: spec({ redaction: { headers: ['X Api'], queryParameters: [], disabled: false } }),
      code: status.INVALID_ARGUMENT,
      field: 'spec.redaction.headers[0]',
    },
    {
      name: 'unknown output',
      value: spec({ output: { formats: [42] } }),
      code: status.INVALID_ARGUMENT,
      field: 'spec.output.formats[0]',
    },
    {
      name: 'rotation age below 1s',
      value: spec({ output: { formats: [], rotation: { maxFileBytes: 0, maxFileAge: { seconds: 0, nanos: 5e6 } } } }),
      code: status.INVALID_ARGUMENT,
      field: 'spec.output.rotation.maxFileAge',
    },
    {
      name: 'prefix ../x',
      value: spec({ filePrefix: '../x' }),
      code: status.INVALID_ARGUMENT,
      field: 'spec.filePrefix',
    },
    {
      name: 'window end before 1970',
      value: spec({ windowEnd: { seconds: -5, nanos: 0 } }),
      code: status.INVALID_ARGUMENT,
      field: 'spec.windowEnd',
    },
    {
      name: 'too many labels',
      value: spec({ labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) }),
      code: status.INVALID_ARGUMENT,
      field: 'spec.labels',
    },
  ])('should refuse $name with its field', ({ value, code, field }) => {
    const error = refusal(value);
    expect(error.code).toBe(code);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
  });

  it('should carry the json format and its redaction, and no redaction when unset', () => {
    const redaction = { headers: ['X-Api-Key'], queryParameters: ['token'], disabled: false };
    const json = agentSessionSpec(spec({ output: { formats: ['OUTPUT_FORMAT_JSON'] }, redaction }), buildFilter);
    expect(json.formats).toEqual(['json']);
    expect(json.redaction).toEqual(redaction);
    expect(agentSessionSpec(spec(), buildFilter).redaction).toBeUndefined();
  });

  it('should carry window_end as milliseconds', () => {
    expect(agentSessionSpec(spec({ windowEnd: { seconds: 1_800_000_000, nanos: 5e8 } }), buildFilter).windowEndMs).toBe(
      1_800_000_000_500,
    );
  });

  it('should compile endpoint_ips into the filter and name a bad address by its index', () => {
    const withIps = spec({ filter: { include: [], bpf: '', endpointIps: ['10.1.2.3', 'fd00::1'] } });
    expect(agentSessionSpec(withIps, captureFilter)).toMatchObject({
      endpointIps: ['10.1.2.3', 'fd00::1'],
      filter: '((ip and (host 10.1.2.3)) or (ip6 and (host fd00::1)))',
    });
    let error: unknown;
    try {
      agentSessionSpec(
        spec({ filter: { include: [], bpf: '', endpointIps: ['10.1.2.3', '10.1.2.300'] } }),
        captureFilter,
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).code).toBe(status.INVALID_ARGUMENT);
    expect((error as RequestError).message).toBe(
      'spec.filter.endpointIps[1]: "10.1.2.300" is not an IPv4 or IPv6 address',
    );
  });
});
