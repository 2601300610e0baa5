// Helpers of the tenancy tests: install the admission policy that ships (crds/recording-tenancy-policy.yaml),
// wait until the API server enforces it, and act as other users through impersonation (the kubeconfig's
// `as`, sent as Impersonate-User), so RBAC and the policy's authorizer checks run for real.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdmissionregistrationV1Api, ApiException, KubeConfig, loadAllYaml } from '@kubernetes/client-node';
import type { V1ValidatingAdmissionPolicy, V1ValidatingAdmissionPolicyBinding } from '@kubernetes/client-node';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const tenancyPolicyFile = join(root, 'crds/recording-tenancy-policy.yaml');
export const TENANCY_POLICY = 'tapedeck-recording-tenancy';

export async function readTenancyPolicy(): Promise<{
  policy: V1ValidatingAdmissionPolicy;
  binding: V1ValidatingAdmissionPolicyBinding;
}> {
  const docs = loadAllYaml(await readFile(tenancyPolicyFile, 'utf8')) as { kind: string }[];
  const policy = docs.find((d) => d.kind === 'ValidatingAdmissionPolicy') as V1ValidatingAdmissionPolicy;
  const binding = docs.find((d) => d.kind === 'ValidatingAdmissionPolicyBinding') as V1ValidatingAdmissionPolicyBinding;
  return { policy, binding };
}

async function createOrReplace<T extends { metadata?: { name?: string; resourceVersion?: string } }>(
  body: T,
  create: (body: T) => Promise<unknown>,
  read: (name: string) => Promise<T>,
  replace: (name: string, body: T) => Promise<unknown>,
): Promise<void> {
  try {
    await create(body);
  } catch (error) {
    if (!(error instanceof ApiException) || error.code !== 409) throw error;
    const name = body.metadata?.name ?? '';
    const current = await read(name);
    await replace(name, {
      ...body,
      metadata: { ...body.metadata, resourceVersion: current.metadata?.resourceVersion },
    });
  }
}

/** Creates (or replaces with) the shipped policy and binding. */
export async function installTenancyPolicy(kc: KubeConfig): Promise<void> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const { policy, binding } = await readTenancyPolicy();
  await createOrReplace(
    policy,
    (body) => api.createValidatingAdmissionPolicy({ body }),
    (name) => api.readValidatingAdmissionPolicy({ name }),
    (name, body) => api.replaceValidatingAdmissionPolicy({ name, body }),
  );
  await createOrReplace(
    binding,
    (body) => api.createValidatingAdmissionPolicyBinding({ body }),
    (name) => api.readValidatingAdmissionPolicyBinding({ name }),
    (name, body) => api.replaceValidatingAdmissionPolicyBinding({ name, body }),
  );
}

/** The admin's kubeconfig acting as `user` (and `groups`): every request is authorized as that user. */
export function impersonating(admin: KubeConfig, user: string): KubeConfig {
  const kc = new KubeConfig();
  const current = admin.getCurrentUser();
  if (current === null) throw new Error('the admin kubeconfig has no current user');
  kc.loadFromOptions({
    clusters: admin.getClusters(),
    contexts: admin.getContexts(),
    currentContext: admin.getCurrentContext(),
    users: admin.getUsers().map((u) => (u.name === current.name ? { ...u, impersonateUser: user } : u)),
  });
  return kc;
}
