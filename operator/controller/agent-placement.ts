// Where the agent DaemonSet can run, as the DaemonSet controller decides it: the
// pod template's nodeSelector, its required node affinity and its tolerations
// (plus the ones the DaemonSet controller adds to every daemon pod) against a
// node's labels, name and taints. Pure functions of the objects' specs.
import type { V1DaemonSet, V1Node, V1NodeSelectorTerm, V1Taint, V1Toleration } from '@kubernetes/client-node';

export interface AgentPlacement {
  nodeSelector: Record<string, string>;
  /** Required node affinity: the node must match one term; undefined = no requirement. */
  requiredTerms: V1NodeSelectorTerm[] | undefined;
  tolerations: V1Toleration[];
}

/** Tolerations the DaemonSet controller adds to every daemon pod (pkg/controller/daemon/util). */
export const DAEMONSET_TOLERATIONS: readonly V1Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];
const HOST_NETWORK_TOLERATION: V1Toleration = {
  key: 'node.kubernetes.io/network-unavailable',
  operator: 'Exists',
  effect: 'NoSchedule',
};

/** Taints that mirror the Ready condition (TaintNodesByCondition, the node lifecycle controller). */
const READINESS_TAINTS: ReadonlySet<string> = new Set([
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unreachable',
]);

export function placementOf(ds: V1DaemonSet): AgentPlacement {
  const pod = ds.spec?.template.spec;
  const extra = pod?.hostNetwork === true ? [HOST_NETWORK_TOLERATION] : [];
  return {
    nodeSelector: pod?.nodeSelector ?? {},
    requiredTerms: pod?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
    tolerations: [...(pod?.tolerations ?? []), ...DAEMONSET_TOLERATIONS, ...extra],
  };
}

function requirementHolds(op: string, value: string | undefined, values: string[], has: boolean): boolean {
  switch (op) {
    case 'In':
      return has && value !== undefined && values.includes(value);
    case 'NotIn':
      return !has || value === undefined || !values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      const [limit] = values;
      if (!has || value === undefined || limit === undefined) return false;
      const [n, l] = [Number.parseInt(value, 10), Number.parseInt(limit, 10)];
      if (Number.isNaN(n) || Number.isNaN(l)) return false;
      return op === 'Gt' ? n > l : n < l;
    }
    default:
      return false;
  }
}

/** A NodeSelectorTerm: every expression and field requirement holds; an empty term matches nothing. */
export function termMatches(term: V1NodeSelectorTerm, name: string, labels: Record<string, string>): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  for (const e of expressions) {
    if (!requirementHolds(e.operator, labels[e.key], e.values ?? [], Object.hasOwn(labels, e.key))) return false;
  }
  for (const f of fields) {
    if (f.key !== 'metadata.name' || !requirementHolds(f.operator, name, f.values ?? [], true)) return false;
  }
  return true;
}

export function tolerates(toleration: V1Toleration, taint: V1Taint): boolean {
  if (toleration.effect !== undefined && toleration.effect !== '' && toleration.effect !== taint.effect) return false;
  if (toleration.operator === 'Exists')
    return toleration.key === undefined || toleration.key === '' || toleration.key === taint.key;
  return toleration.key === taint.key && (toleration.value ?? '') === (taint.value ?? '');
}

/** Why the agent cannot run on `node`, or undefined when it can. */
export function placementProblem(placement: AgentPlacement, node: V1Node): string | undefined {
  const name = node.metadata?.name ?? '';
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(placement.nodeSelector)) {
    if (labels[k] !== v) return `outside the agent DaemonSet's nodeSelector (${k}=${v})`;
  }
  const terms = placement.requiredTerms;
  if (terms !== undefined && !terms.some((t) => termMatches(t, name, labels))) {
    return "outside the agent DaemonSet's required node affinity";
  }
  for (const taint of node.spec?.taints ?? []) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    // Readiness is judged by the Ready condition itself (isNodeReady), not by the taints that mirror it.
    if (READINESS_TAINTS.has(taint.key)) continue;
    if (!placement.tolerations.some((t) => tolerates(t, taint))) {
      return `taint ${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect} is not tolerated by the agent`;
    }
  }
  return undefined;
}

/** Ready condition True (the kubelet's heartbeat); a node without one is not Ready. */
export function isNodeReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}
