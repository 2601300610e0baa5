// Whether the tenancy admission policy (crds/recording-tenancy-policy.yaml) and its binding are in place
// and enforcing: a pure function of the two objects as the API server returns them.
import type { V1ValidatingAdmissionPolicy, V1ValidatingAdmissionPolicyBinding } from '@kubernetes/client-node';

/** The verb the policy checks cluster-wide before it admits a Recording without podSelector. */
export const RECORD_NODES_VERB = 'record-nodes';

/** Why the policy does not protect node-wide Recordings, or undefined when it does. */
export function policyProblem(
  name: string,
  policy: V1ValidatingAdmissionPolicy | undefined,
  binding: V1ValidatingAdmissionPolicyBinding | undefined,
): string | undefined {
  if (policy === undefined) return `ValidatingAdmissionPolicy ${name} does not exist`;
  if (policy.spec?.failurePolicy === 'Ignore') return `ValidatingAdmissionPolicy ${name} has failurePolicy Ignore`;
  const checksRight = (policy.spec?.validations ?? []).some((v) => v.expression.includes(`'${RECORD_NODES_VERB}'`));
  if (!checksRight) return `ValidatingAdmissionPolicy ${name} does not check the ${RECORD_NODES_VERB} right`;
  if (binding === undefined) return `ValidatingAdmissionPolicyBinding ${name} does not exist`;
  const spec = binding.spec;
  if (spec?.policyName !== name)
    return `ValidatingAdmissionPolicyBinding ${name} binds ${spec?.policyName ?? 'no policy'}`;
  const actions = spec.validationActions ?? [];
  if (actions.length !== 1 || actions[0] !== 'Deny') {
    return `ValidatingAdmissionPolicyBinding ${name} has validationActions [${actions.join(', ')}], not [Deny]`;
  }
  const match = spec.matchResources;
  const narrowed =
    Object.keys(match?.namespaceSelector ?? {}).length > 0 ||
    Object.keys(match?.objectSelector ?? {}).length > 0 ||
    (match?.excludeResourceRules ?? []).length > 0 ||
    (match?.resourceRules ?? []).length > 0;
  if (narrowed) return `ValidatingAdmissionPolicyBinding ${name} matches only some Recordings (matchResources)`;
  return undefined;
}
