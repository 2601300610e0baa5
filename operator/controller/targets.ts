// Which nodes a Recording captures on, and which pod IPs narrow the filter there.
import type { Target } from './decide.js';
import type { LabelSelector, RecordingView } from './recording-view.js';

export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  /** Ready condition True; absent = Ready (tests and callers that do not know). */
  ready?: boolean;
  /** The agent DaemonSet can run there (selector, affinity, tolerations); absent = it can. */
  agentCanRun?: boolean;
}

export interface PodInfo {
  namespace: string;
  labels: Record<string, string>;
  nodeName?: string | undefined;
  podIPs: string[];
  terminating: boolean;
}

/** metav1.LabelSelector semantics; an absent selector matches everything. */
export function matches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (selector === undefined) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (has && value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/**
 * Nodes matching nodeSelector where the agent DaemonSet can run; with a podSelector, only those hosting
 * matching pods that have IPs (with the IPs). NotReady nodes are included with ready: false.
 */
export function resolveTargets(recording: RecordingView, nodes: NodeInfo[], pods: PodInfo[]): Target[] {
  const target = recording.spec.target;
  const selected = nodes.filter((n) => n.agentCanRun !== false && matches(target?.nodeSelector, n.labels));
  const ready = new Map(selected.map((n) => [n.name, n.ready !== false]));
  if (target?.podSelector === undefined) {
    return selected
      .map((n) => ({ node: n.name, podIPs: [], ready: n.ready !== false }))
      .sort((a, b) => a.node.localeCompare(b.node));
  }
  const ipsByNode = new Map<string, Set<string>>();
  for (const pod of pods) {
    if (pod.namespace !== recording.metadata.namespace || pod.terminating || pod.nodeName === undefined) continue;
    // Without an IP yet the pod cannot narrow the filter: capturing the whole node meanwhile would be wrong.
    if (pod.podIPs.length === 0) continue;
    if (!matches(target.podSelector, pod.labels)) continue;
    const ips = ipsByNode.get(pod.nodeName) ?? new Set<string>();
    for (const ip of pod.podIPs) ips.add(ip);
    ipsByNode.set(pod.nodeName, ips);
  }
  return selected
    .filter((n) => ipsByNode.has(n.name))
    .map((n) => ({ node: n.name, podIPs: [...(ipsByNode.get(n.name) ?? [])].sort(), ready: ready.get(n.name) ?? true }))
    .sort((a, b) => a.node.localeCompare(b.node));
}
