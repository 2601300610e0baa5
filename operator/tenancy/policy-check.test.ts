import type { V1ValidatingAdmissionPolicy, V1ValidatingAdmissionPolicyBinding } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { policyProblem } from './policy-check.js';

const name = 'tapedeck-recording-tenancy';
const policy: V1ValidatingAdmissionPolicy = {
  metadata: { name },
  spec: {
    failurePolicy: 'Fail',
    validations: [{ expression: "authorizer.group('tapedeck.dev').resource('recordings').check('record-nodes')" }],
  },
};
const binding: V1ValidatingAdmissionPolicyBinding = {
  metadata: { name },
  spec: { policyName: name, validationActions: ['Deny'] },
};

describe('policyProblem', () => {
  it('should accept the policy and binding that ship', () => {
    expect(policyProblem(name, policy, binding)).toBeUndefined();
  });

  it.each<[string, V1ValidatingAdmissionPolicy | undefined, V1ValidatingAdmissionPolicyBinding | undefined, string]>([
    ['no policy', undefined, binding, `ValidatingAdmissionPolicy ${name} does not exist`],
    ['no binding', policy, undefined, `ValidatingAdmissionPolicyBinding ${name} does not exist`],
    [
      'failurePolicy Ignore',
      { ...policy, spec: { ...policy.spec, failurePolicy: 'Ignore' } },
      binding,
      'has failurePolicy Ignore',
    ],
    [
      'a policy without the record-nodes check',
      { ...policy, spec: { validations: [{ expression: 'true' }] } },
      binding,
      'does not check the record-nodes right',
    ],
    [
      'Warn only',
      policy,
      { ...binding, spec: { policyName: name, validationActions: ['Warn'] } },
      '[Warn], not [Deny]',
    ],
    [
      'Audit too',
      policy,
      { ...binding, spec: { policyName: name, validationActions: ['Deny', 'Audit'] } },
      'not [Deny]',
    ],
    [
      'another policy',
      policy,
      { ...binding, spec: { policyName: 'other', validationActions: ['Deny'] } },
      'binds other',
    ],
    [
      'a namespaceSelector',
      policy,
      {
        ...binding,
        spec: {
          ...binding.spec,
          policyName: name,
          matchResources: { namespaceSelector: { matchLabels: { tenancy: 'on' } } },
        },
      },
      'matches only some Recordings',
    ],
  ])('should name the problem with %s', (_case, p, b, expected) => {
    expect(policyProblem(name, p, b)).toContain(expected);
  });
});
