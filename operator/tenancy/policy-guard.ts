// Defence in depth for tenancy: the operator runs a node-wide Recording (no podSelector: every pod of
// every namespace on its nodes) only while the admission policy that restricts who may create one is
// installed and enforcing, or when its namespace is on the admin's allow-list. Otherwise the Recording is
// held Pending with a PolicyMissing condition and a Warning Event, and checked again periodically.
import { AdmissionregistrationV1Api, ApiException } from '@kubernetes/client-node';
import type {
  KubeConfig,
  V1ValidatingAdmissionPolicy,
  V1ValidatingAdmissionPolicyBinding,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { condition } from '../controller/conditions.js';
import type { RecordingStore } from '../controller/recording-store.js';
import type { RecordingView } from '../controller/recording-view.js';
import type { Outcome } from '../controller/work-queue.js';
import { policyProblem } from './policy-check.js';

/** How long one read of the policy and binding is trusted. */
export const POLICY_CACHE_MS = 5_000;
/** A held Recording is looked at again this often. */
export const POLICY_RECHECK_MS = 10_000;
export const POLICY_MISSING = 'PolicyMissing';

export interface TenancyOptions {
  /** Name of the ValidatingAdmissionPolicy and of its binding. */
  policyName: string;
  /** Namespaces whose node-wide Recordings run without the policy. */
  nodeWideNamespaces: readonly string[];
}

export function isNodeWide(recording: RecordingView): boolean {
  return recording.spec.target?.podSelector === undefined;
}

async function readOrUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return undefined;
    throw error;
  }
}

export class PolicyGuard {
  private readonly api: AdmissionregistrationV1Api;
  private cached: { at: number; problem: string | undefined } | undefined;

  constructor(
    kubeConfig: KubeConfig,
    private readonly options: TenancyOptions,
    private readonly store: RecordingStore,
    private readonly log: Logger,
  ) {
    this.api = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  }

  /** Why node-wide Recordings must not run now, or undefined. Reads are cached for POLICY_CACHE_MS. */
  async problem(now: number): Promise<string | undefined> {
    if (this.cached !== undefined && now - this.cached.at < POLICY_CACHE_MS) return this.cached.problem;
    const name = this.options.policyName;
    const [policy, binding] = await Promise.all([
      readOrUndefined<V1ValidatingAdmissionPolicy>(() => this.api.readValidatingAdmissionPolicy({ name })),
      readOrUndefined<V1ValidatingAdmissionPolicyBinding>(() =>
        this.api.readValidatingAdmissionPolicyBinding({ name }),
      ),
    ]);
    this.cached = { at: now, problem: policyProblem(name, policy, binding) };
    return this.cached.problem;
  }

  /**
   * The reconciler's hook: undefined lets the reconcile go on; an Outcome means the Recording is held
   * (status and Event written here) and the reconcile ends with it.
   */
  async hold(recording: RecordingView, now: number): Promise<Outcome | undefined> {
    if (recording.metadata.deletionTimestamp !== undefined || !isNodeWide(recording)) return undefined;
    if (this.options.nodeWideNamespaces.includes(recording.metadata.namespace ?? '')) return undefined;
    const problem = await this.problem(now);
    if (problem === undefined) return undefined;
    const message =
      `Refusing to record whole nodes (no spec.target.podSelector): ${problem}, so admission does not ` +
      `restrict who may create such Recordings; install crds/recording-tenancy-policy.yaml (or the chart's ` +
      `tenancy.policy) or add a podSelector`;
    const previous = recording.status?.conditions;
    const wasHeld = previous?.some((c) => c.type === POLICY_MISSING && c.status === 'True') === true;
    const conditions = [
      condition(previous, { type: POLICY_MISSING, status: 'True', reason: POLICY_MISSING, message }, now),
      condition(previous, { type: 'Ready', status: 'False', reason: POLICY_MISSING, message }, now),
    ];
    const kept = (previous ?? []).filter((c) => c.type !== POLICY_MISSING && c.type !== 'Ready');
    if (!wasHeld || recording.status?.phase !== 'Pending') {
      await this.store.patchStatus(recording, {
        ...recording.status,
        phase: 'Pending',
        conditions: [...kept, ...conditions],
      });
      await this.store.recordEvent(recording, { type: 'Warning', reason: POLICY_MISSING, message });
      this.log.warn(
        { recording: `${recording.metadata.namespace}/${recording.metadata.name}`, problem },
        'Held node-wide recording',
      );
    }
    return { requeueAfterMs: POLICY_RECHECK_MS };
  }
}
