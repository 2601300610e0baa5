import type { V1DaemonSet, V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { isNodeReady, placementOf, placementProblem } from './agent-placement.js';

const daemonSet: V1DaemonSet = {
  spec: {
    selector: {},
    template: {
      spec: {
        containers: [],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'pool', operator: 'In', values: ['web', 'db'] }] },
                { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['special'] }] },
              ],
            },
          },
        },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'capture', effect: 'NoSchedule' }],
      },
    },
  },
};

function node(name: string, labels: Record<string, string>, taints: V1Node['spec'] = {}): V1Node {
  return { metadata: { name, labels: { 'kubernetes.io/os': 'linux', ...labels } }, spec: taints };
}

describe('placementProblem', () => {
  const placement = placementOf(daemonSet);
  it.each<[string, V1Node, string | undefined]>([
    ['a node of a selected pool', node('a', { pool: 'web' }), undefined],
    ['a node named in matchFields', node('special', {}), undefined],
    ['a node of another pool', node('b', { pool: 'gpu' }), "outside the agent DaemonSet's required node affinity"],
    [
      'a Windows node',
      node('w', { pool: 'web', 'kubernetes.io/os': 'windows' }),
      "outside the agent DaemonSet's nodeSelector (kubernetes.io/os=linux)",
    ],
    [
      'a tolerated taint',
      node('t', { pool: 'web' }, { taints: [{ key: 'dedicated', value: 'capture', effect: 'NoSchedule' }] }),
      undefined,
    ],
    [
      'a PreferNoSchedule taint',
      node('p', { pool: 'web' }, { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }),
      undefined,
    ],
    [
      'a DaemonSet default toleration',
      node(
        'u',
        { pool: 'web' },
        { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] },
      ),
      undefined,
    ],
    [
      'an untolerated taint',
      node('g', { pool: 'web' }, { taints: [{ key: 'gpu', value: 'yes', effect: 'NoExecute' }] }),
      'taint gpu=yes:NoExecute is not tolerated by the agent',
    ],
  ])('should judge %s', (_what, n, problem) => {
    expect(placementProblem(placement, n)).toBe(problem);
  });
});

describe('isNodeReady', () => {
  it.each<[string, V1Node['status'], boolean]>([
    ['Ready', { conditions: [{ type: 'Ready', status: 'True' }] }, true],
    ['NotReady', { conditions: [{ type: 'Ready', status: 'False' }] }, false],
    ['Unknown', { conditions: [{ type: 'Ready', status: 'Unknown' }] }, false],
    ['without conditions', {}, false],
  ])('should read %s', (_what, status, ready) => {
    expect(isNodeReady({ status })).toBe(ready);
  });
});
