// Invalid Recordings and how the API server must reject them: each case is a spec (merged into a
// fresh Recording) with exactly one problem, the field path the message must name and a phrase of
// the reason. Used by crd.test.ts; kept apart so the table reads as a specification. This file holds
// what to capture and when (filter, snaplen, schedule, stop conditions); crd-invalid-output-cases.ts
// how to write, keep and export it.

export interface InvalidCase {
  title: string;
  spec: Record<string, unknown>;
  /** Overrides metadata.name (default: a short valid name). */
  name?: string;
  /** Field path as the API server prints it, such as spec.filter.include[0].sourceCIDR. */
  path: string;
  phrase: string;
}

const include = (rule: Record<string, unknown>): Record<string, unknown> => ({ filter: { include: [rule] } });

export const invalidSelectionCases: InvalidCase[] = [
  {
    title: 'an IPv4 CIDR with a prefix over 32',
    spec: include({ sourceCIDR: '10.0.0.0/33' }),
    path: 'spec.filter.include[0].sourceCIDR',
    phrase: 'must be a valid IPv4 or IPv6 CIDR',
  },
  {
    title: 'a destination that is not a CIDR',
    spec: include({ destinationCIDR: 'not-a-cidr' }),
    path: 'spec.filter.include[0].destinationCIDR',
    phrase: 'must be a valid IPv4 or IPv6 CIDR',
  },
  {
    title: 'an IPv6 CIDR with a prefix over 128',
    spec: { filter: { include: [{ protocol: 'TCP' }, { sourceCIDR: 'fd00::/129' }] } },
    path: 'spec.filter.include[1].sourceCIDR',
    phrase: 'must be a valid IPv4 or IPv6 CIDR',
  },
  {
    title: 'an IPv4 source with an IPv6 destination',
    spec: include({ sourceCIDR: '10.0.0.0/8', destinationCIDR: 'fd00::/8' }),
    path: 'spec.filter.include[0].destinationCIDR',
    phrase: 'same IP family',
  },
  {
    title: 'a source port above 65535',
    spec: include({ sourcePort: 70000 }),
    path: 'spec.filter.include[0].sourcePort',
    phrase: 'less than or equal to 65535',
  },
  {
    title: 'a negative destination port',
    spec: include({ destinationPort: -1 }),
    path: 'spec.filter.include[0].destinationPort',
    phrase: 'greater than or equal to 0',
  },
  {
    title: 'an unknown protocol',
    spec: include({ protocol: 'HTTP' }),
    path: 'spec.filter.include[0].protocol',
    phrase: 'Unsupported value: "HTTP"',
  },
  {
    title: 'a port with protocol ICMP',
    spec: include({ protocol: 'ICMP', destinationPort: 8 }),
    path: 'spec.filter.include[0].protocol',
    phrase: 'ports cannot be combined with protocol ICMP',
  },
  {
    title: 'more than 64 include filters',
    spec: { filter: { include: Array.from({ length: 65 }, () => ({ protocol: 'TCP' })) } },
    path: 'spec.filter.include',
    phrase: 'must have at most 64 items',
  },
  {
    title: 'a bpf expression starting with a dash',
    spec: { filter: { bpf: '-w /etc/passwd' } },
    path: 'spec.filter.bpf',
    phrase: "must not start with '-'",
  },
  {
    title: 'a bpf expression longer than 2048 bytes',
    spec: { filter: { bpf: 'tcp '.repeat(513) } },
    path: 'spec.filter.bpf',
    phrase: 'may not be more than 2048',
  },
  {
    title: 'a snaplen above 262144',
    spec: { maxCaptureLength: 262145 },
    path: 'spec.maxCaptureLength',
    phrase: 'less than or equal to 262144',
  },
  {
    title: 'a start time of 24:00',
    spec: { schedule: { startTime: '24:00' } },
    path: 'spec.schedule.startTime',
    phrase: 'HH:MM in UTC',
  },
  {
    title: 'a start time in month 13',
    spec: { schedule: { startTime: '2026-13-01T08:00:00Z' } },
    path: 'spec.schedule.startTime',
    phrase: 'RFC 3339',
  },
  {
    title: 'a start time on February 30',
    spec: { schedule: { startTime: '2026-02-30T08:00:00Z' } },
    path: 'spec.schedule.startTime',
    phrase: 'must be a real date and time',
  },
  {
    title: 'a start time in words',
    spec: { schedule: { startTime: 'tomorrow morning' } },
    path: 'spec.schedule.startTime',
    phrase: 'RFC 3339',
  },
  {
    title: 'negative daily iterations',
    spec: { schedule: { dailyIterations: -1 } },
    path: 'spec.schedule.dailyIterations',
    phrase: 'greater than or equal to 0',
  },
  {
    title: 'a negative duration',
    spec: { schedule: { duration: '-5m' } },
    path: 'spec.schedule.duration',
    phrase: 'should match',
  },
  {
    title: 'a duration without a unit',
    spec: { schedule: { duration: '60' } },
    path: 'spec.schedule.duration',
    phrase: 'should match',
  },
  {
    title: 'a duration over 168h',
    spec: { schedule: { duration: '200h' } },
    path: 'spec.schedule.duration',
    phrase: 'must be between 1s and 168h',
  },
  {
    title: 'a zero duration',
    spec: { schedule: { duration: '0s' } },
    path: 'spec.schedule.duration',
    phrase: 'must be between 1s and 168h',
  },
  {
    title: 'a daily recording longer than a day',
    spec: { schedule: { dailyIterations: 2, duration: '25h' } },
    path: 'spec.schedule.duration',
    phrase: 'at most 24h when the recording repeats daily',
  },
  {
    title: 'a negative packet count',
    spec: { stopCondition: { packetsCapturedCount: -1 } },
    path: 'spec.stopCondition.packetsCapturedCount',
    phrase: 'greater than or equal to 0',
  },
  {
    title: 'a negative byte count',
    spec: { stopCondition: { bytesCapturedCount: -5 } },
    path: 'spec.stopCondition.bytesCapturedCount',
    phrase: 'greater than or equal to 0',
  },
  {
    title: 'a time limit in years',
    spec: { stopCondition: { timeElapsed: '1y' } },
    path: 'spec.stopCondition.timeElapsed',
    phrase: 'should match',
  },
];
