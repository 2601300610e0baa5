import { describe, expect, it } from 'vitest';
import { recordingFixture } from './recording-fixture.js';
import type { FixtureSpec } from './recording-fixture.js';
import type { LabelSelector, RecordingView } from './recording-view.js';
import { matches, resolveTargets } from './targets.js';
import type { NodeInfo, PodInfo } from './targets.js';

describe('matches', () => {
  const labels = { pool: 'web', zone: 'a' };
  it.each<[string, LabelSelector | undefined, boolean]>([
    ['no selector', undefined, true],
    ['empty selector', {}, true],
    ['matching label', { matchLabels: { pool: 'web' } }, true],
    ['other value', { matchLabels: { pool: 'db' } }, false],
    ['missing label', { matchLabels: { gpu: 'yes' } }, false],
    ['In', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }, true],
    ['In without the label', { matchExpressions: [{ key: 'gpu', operator: 'In', values: ['a'] }] }, false],
    ['NotIn', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, false],
    ['NotIn without the label', { matchExpressions: [{ key: 'gpu', operator: 'NotIn', values: ['a'] }] }, true],
    ['Exists', { matchExpressions: [{ key: 'pool', operator: 'Exists' }] }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'pool', operator: 'DoesNotExist' }] }, false],
  ])('should evaluate %s', (_name, selector, expected) => {
    expect(matches(selector, labels)).toBe(expected);
  });
});

describe('resolveTargets', () => {
  const nodes: NodeInfo[] = [
    { name: 'n3', labels: { pool: 'db' } },
    { name: 'n1', labels: { pool: 'web' } },
    { name: 'n2', labels: { pool: 'web' } },
  ];
  const pod = (nodeName: string, ip: string, extra: Partial<PodInfo> = {}): PodInfo => ({
    namespace: 'shop',
    labels: { app: 'checkout' },
    nodeName,
    podIPs: [ip],
    terminating: false,
    ...extra,
  });
  const rec = (target: FixtureSpec['target']): RecordingView =>
    recordingFixture({ target }, undefined, { namespace: 'shop' });

  it('should select every node without selectors, sorted', () => {
    expect(resolveTargets(rec(undefined), nodes, []).map((t) => t.node)).toEqual(['n1', 'n2', 'n3']);
  });

  it('should select nodes by nodeSelector', () => {
    expect(resolveTargets(rec({ nodeSelector: { matchLabels: { pool: 'web' } } }), nodes, [])).toEqual([
      { node: 'n1', podIPs: [], ready: true },
      { node: 'n2', podIPs: [], ready: true },
    ]);
  });

  it('should leave out nodes the agent DaemonSet cannot run on and flag NotReady ones', () => {
    const more: NodeInfo[] = [
      { name: 'a', labels: {}, agentCanRun: false },
      { name: 'b', labels: {}, ready: false },
      { name: 'c', labels: {} },
    ];
    expect(resolveTargets(rec(undefined), more, [])).toEqual([
      { node: 'b', podIPs: [], ready: false },
      { node: 'c', podIPs: [], ready: true },
    ]);
  });

  it('should select nodes hosting matching pods and collect their IPs', () => {
    const pods = [
      pod('n2', '10.0.0.9'),
      pod('n2', '10.0.0.3'),
      pod('n3', '10.0.1.1'),
      pod('n1', '10.0.2.1', { namespace: 'other' }),
      pod('n1', '10.0.2.2', { labels: { app: 'cart' } }),
      pod('n1', '10.0.2.3', { terminating: true }),
      // Not running yet: no IP to narrow the filter with, so it does not make n1 a target.
      pod('n1', '', { podIPs: [] }),
    ];
    const r = rec({
      podSelector: { matchLabels: { app: 'checkout' } },
      nodeSelector: { matchLabels: { pool: 'web' } },
    });
    expect(resolveTargets(r, nodes, pods)).toEqual([{ node: 'n2', podIPs: ['10.0.0.3', '10.0.0.9'], ready: true }]);
  });

  it('should select nothing when no pod matches', () => {
    expect(
      resolveTargets(rec({ podSelector: { matchLabels: { app: 'none' } } }), nodes, [pod('n1', '1.1.1.1')]),
    ).toEqual([]);
  });
});
