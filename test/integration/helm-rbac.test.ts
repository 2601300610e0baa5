// What each of the chart's ServiceAccounts may do, as the API server answers `kubectl auth can-i --list`
// for it after `helm install`: it must be exactly the table in helm/tapedeck/README.md ("What each
// ServiceAccount may do"), so the documentation cannot drift from the RBAC that ships.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../env/command.js';
import { kubeConfig, testEnv } from '../env/kube.js';
import { chartDir, helmRunner, type Helm } from './helm-fixtures.js';

const id = randomBytes(3).toString('hex');
const release = `rbac-${id}`;
const namespace = `tapedeck-rbac-${id}`;
const tenant = `shop-${id}`;
const prefix = `${release}-tapedeck`;
let helm: Helm;
const run = promisify(execFile);

/** `kubectl auth can-i --list` as a ServiceAccount of the release, one `resources | urls | names | verbs` row per rule. */
async function canIAll(serviceAccount: string, ns: string): Promise<string[]> {
  const env = testEnv();
  const { stdout } = await runCommand(env.bin.kubectl, [
    ...['--kubeconfig', env.kubeconfigPath, 'auth', 'can-i', '--list', '--no-headers'],
    ...['--namespace', ns, `--as=system:serviceaccount:${namespace}:${serviceAccount}`],
  ]);
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) =>
      line
        .trim()
        .split(/\s{2,}/)
        .join(' | '),
    )
    .map((row) =>
      row.replaceAll(release, '<release>').replaceAll(namespace, '<namespace>').replaceAll(tenant, '<tenant>'),
    )
    .sort();
}

/** canIAll() without what every authenticated user may do (discovery, self-reviews): what the chart grants. */
async function canI(serviceAccount: string, ns: string): Promise<string[]> {
  const everyone = new Set(await canIAll(`nobody-${id}`, ns));
  return [...new Set(await canIAll(serviceAccount, ns))].filter((row) => !everyone.has(row));
}

/** The rows of the README table under `### <heading>`, cells joined as canI() joins them. */
async function readmeTable(heading: string): Promise<string[]> {
  const readme = await readFile(join(chartDir, 'README.md'), 'utf8');
  const section = readme.split(`#### The ${heading}\n`)[1]?.trimStart().split('\n\n')[0] ?? '';
  if (!section.startsWith('| Resources')) throw new Error(`README has no table under "#### The ${heading}"`);
  return section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| Resources') && !line.startsWith('|--'))
    .map((line) =>
      line
        .slice(2, -2)
        .split(' | ')
        .map((cell) => cell.replaceAll('`', '').trim())
        .join(' | '),
    )
    .sort();
}

beforeAll(async () => {
  helm = await helmRunner(`helm-rbac-${id}`);
  await kubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name: tenant } } });
  await helm(
    ...['install', release, chartDir, '--namespace', namespace, '--create-namespace'],
    ...['--set', 'export.destination=s3', '--set', 'export.s3.bucket=traffic'],
    ...['--set', 'export.s3.credentialsSecret=s3-creds', '--set', `operator.secretAccess.namespaces={${tenant}}`],
  );
});

afterAll(async () => {
  await helm('uninstall', release, '--namespace', namespace).catch(() => undefined);
  const core = kubeConfig().makeApiClient(CoreV1Api);
  for (const name of [namespace, tenant]) await core.deleteNamespace({ name }).catch(() => undefined);
});

describe('helm chart RBAC (kubectl auth can-i --list)', () => {
  it.each([
    ['operator in the release namespace', `${prefix}-operator`, () => namespace],
    ['operator in a namespace listed in operator.secretAccess.namespaces', `${prefix}-operator`, () => tenant],
    ['operator in any other namespace', `${prefix}-operator`, () => 'default'],
    ['agent in any namespace', `${prefix}-agent`, () => namespace],
  ])('should let the %s do what the README says', async (heading, serviceAccount, ns) => {
    const actual = await canI(serviceAccount, ns());
    console.log(`${heading}:\n${actual.join('\n')}`);
    expect(actual).toEqual(await readmeTable(heading));
  });

  it.each([
    ['get', 'secrets', namespace],
    ['list', 'secrets', tenant],
    ['get', 'recordings.tapedeck.dev', tenant],
    ['watch', 'recordings.tapedeck.dev', namespace],
  ])('should not let the agent %s %s in %s', async (verb, resource, ns) => {
    const env = testEnv();
    // `can-i` prints yes or no and exits 1 for no.
    const answer = await run(env.bin.kubectl, [
      ...['--kubeconfig', env.kubeconfigPath, 'auth', 'can-i', verb, resource, '--namespace', ns],
      `--as=system:serviceaccount:${namespace}:${prefix}-agent`,
    ]).then(
      (r) => r.stdout.trim(),
      (error: { stdout?: string }) => (error.stdout ?? '').trim(),
    );
    expect(answer).toBe('no');
  });
});
