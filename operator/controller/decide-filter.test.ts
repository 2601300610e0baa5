import { describe, expect, it } from 'vitest';
import type { SessionFilter, SessionReport } from '../dispatch/agent-client.js';
import { decide } from './decide.js';
import type { Action, Target } from './decide.js';
import { recordingFixture } from './recording-fixture.js';

const now = Date.parse('2026-03-10T10:00:01Z');
const recording = recordingFixture({
  schedule: { startTime: '', dailyIterations: 1, duration: '60s' },
  target: { podSelector: { matchLabels: { app: 'checkout' } } },
  filter: { bpf: 'udp' },
});

function running(filter?: SessionFilter): SessionReport {
  return {
    recordingUid: 'uid-1',
    iteration: 1,
    state: 'Running',
    packetsCaptured: 0,
    bytesCaptured: 0,
    packetsLost: 0,
    bytesLost: 0,
    files: [],
    ...(filter && { filter }),
  };
}

function actionsFor(session: SessionReport, targets: Target[]): Action[] {
  return decide({ recording, targets, reports: new Map([['a', { reachable: true, sessions: [session] }]]), now })
    .actions;
}

describe('decide (pod IPs in the filter)', () => {
  it.each([
    {
      name: 'update the filter when a matching pod appeared on the node',
      current: ['10.0.0.1'],
      podIPs: ['10.0.0.1', '10.0.0.2'],
      actions: [{ kind: 'update', node: 'a', iteration: 1, podIPs: ['10.0.0.1', '10.0.0.2'] }],
    },
    {
      name: 'update the filter when a matching pod left the node',
      current: ['10.0.0.1', '10.0.0.2'],
      podIPs: ['10.0.0.2'],
      actions: [{ kind: 'update', node: 'a', iteration: 1, podIPs: ['10.0.0.2'] }],
    },
    {
      name: 'leave a session alone whose filter is the desired one',
      current: ['10.0.0.2', '10.0.0.1'],
      podIPs: ['10.0.0.1', '10.0.0.2'],
      actions: [],
    },
  ])('should $name', ({ current, podIPs, actions }) => {
    const session = running({ include: [], bpf: 'udp', endpointIps: current });

    expect(actionsFor(session, [{ node: 'a', podIPs }])).toEqual(actions);
  });

  it('should compare filters as the agent reports them, with defaults filled in and bpf trimmed', () => {
    const withInclude = recordingFixture({
      ...recording.spec,
      filter: { bpf: 'udp', include: [{ destinationCIDR: '10.0.0.0/8', protocol: 'UDP' }] },
      schedule: recording.spec.schedule,
      target: recording.spec.target,
    });
    const include = [
      { sourceCidr: '', sourcePort: 0, destinationCidr: '10.0.0.0/8', destinationPort: 0, protocol: 'PROTOCOL_UDP' },
    ] as const;
    const session = running({ include: [...include], bpf: ' udp ', endpointIps: ['10.0.0.1'] });
    const d = decide({
      recording: withInclude,
      targets: [{ node: 'a', podIPs: ['10.0.0.1'] }],
      reports: new Map([['a', { reachable: true, sessions: [session] }]]),
      now,
    });

    expect(d.actions).toEqual([]);
  });

  it('should not update a session whose agent does not report its filter', () => {
    expect(actionsFor(running(), [{ node: 'a', podIPs: ['10.0.0.9'] }])).toEqual([]);
  });
});
