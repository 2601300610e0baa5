// Command-line flags of tapedeck-operator.
import { hostname } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_AGENT_PORT } from '../controller/cluster-cache.js';
import { defaultAgentPods } from '../controller/controller.js';

export const USAGE = `Usage: tapedeck-operator [flags]
  --kubeconfig FILE          kubeconfig to use (default: $KUBECONFIG, else in-cluster)
  --namespace NS             namespace of the leader Lease (default: $POD_NAMESPACE or tapedeck-system)
  --leader-elect BOOL        campaign for the Lease before reconciling (default: true)
  --lease-name NAME          leader Lease name (default: tapedeck-operator)
  --identity ID              this replica's identity in the Lease (default: hostname + pid)
  --lease-duration MS        (default 15000)   --renew-deadline MS (default 10000)   --retry-period MS (default 2000)
  --http-bind HOST:PORT      /metrics, /healthz, /readyz (default: 0.0.0.0:8080)
  --agent-namespace NS       namespace of the agent DaemonSet's pods (default: tapedeck-system)
  --agent-selector K=V,...   labels of the agent pods (default: app.kubernetes.io/name=tapedeck,app.kubernetes.io/component=agent)
  --agent-port PORT          agent gRPC port when the pod names none "grpc" (default: ${DEFAULT_AGENT_PORT})
  --tls-ca FILE --tls-cert FILE --tls-key FILE   mTLS to the agents (client certificate)
  --tls-server-name NAME     name on the agents' certificates (default: tapedeck-agent)
  --issuer-ca-cert FILE --issuer-ca-key FILE   issue the certificates from this CA instead of --tls-*: the
                             operator's client-only one into --identity-dir, the agents' server-only one into
                             --agent-secret, each renewed when two thirds of --certificate-days have passed
  --agent-secret NAME        Secret (in --namespace) the agents mount their certificate from (default: tapedeck-agent-tls)
  --identity-dir DIR         where the issued operator certificate is kept (default: /var/run/tapedeck/identity)
  --operator-identity NAME   CN of the issued operator certificate (default: tapedeck-operator)
  --certificate-days N       validity of issued certificates (default: 90)
  --insecure                 talk to agents without TLS (local development only)
  --watch-namespace NS       reconcile Recordings of this namespace only (default: all namespaces)
  --tenancy-policy NAME      run Recordings without podSelector only while this ValidatingAdmissionPolicy and
                             its binding enforce (default: tapedeck-recording-tenancy)
  --node-wide-namespaces NS,...  namespaces whose Recordings without podSelector run without that policy
  --export-defaults FILE     default export destination, JSON in spec.export's shape (default: $TAPEDECK_EXPORT_DEFAULTS)
  --export-role-arn ARN      role STS AssumeRole assumes for short-lived S3 credentials (MinIO ignores it)
  --export-sts BOOL          mint short-lived, prefix-scoped S3 credentials with STS (default: true); false
                             sends the Secret's keys as they are
  --log-level LEVEL          pino level (default: info)`;

export class FlagError extends Error {
  readonly code = 'TD_ERR_OPERATOR_FLAGS';
}

export interface OperatorConfig {
  kubeconfig: string | undefined;
  namespace: string;
  leaderElect: boolean;
  leaseName: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  httpHost: string;
  httpPort: number;
  agentNamespace: string;
  agentLabels: Record<string, string>;
  agentPort: number;
  tls: { ca: string; cert: string; key: string; serverName: string } | undefined;
  /** The operator issues the certificates (tls then names the files it writes into ownDir). */
  issuer:
    | {
        caCert: string;
        caKey: string;
        agentSecret: string;
        ownDir: string;
        operatorIdentity: string;
        validityDays: number;
      }
    | undefined;
  watchNamespace: string | undefined;
  tenancy: { policyName: string; nodeWideNamespaces: string[] };
  /** Export: the chart's default destination file, STS role and whether to mint short-lived S3 keys. */
  export: { defaultsFile: string | undefined; roleArn: string; useSts: boolean };
  logLevel: string;
}

function int(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new FlagError(`--${name} must be a non-negative integer, got ${value}`);
  return n;
}

function positive(name: string, value: string | undefined, fallback: number): number {
  const n = int(name, value, fallback);
  if (n === 0) throw new FlagError(`--${name} must be at least 1`);
  return n;
}

export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(',').filter((p) => p !== '')) {
    const [key, value, ...rest] = pair.split('=');
    if (key === undefined || key === '' || value === undefined || rest.length > 0) {
      throw new FlagError(`--agent-selector: ${JSON.stringify(pair)} is not key=value`);
    }
    labels[key] = value;
  }
  return labels;
}

export function parseFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      'leader-elect': { type: 'string' },
      'lease-name': { type: 'string' },
      identity: { type: 'string' },
      'lease-duration': { type: 'string' },
      'renew-deadline': { type: 'string' },
      'retry-period': { type: 'string' },
      'http-bind': { type: 'string' },
      'agent-namespace': { type: 'string' },
      'agent-selector': { type: 'string' },
      'agent-port': { type: 'string' },
      'tls-ca': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-server-name': { type: 'string' },
      'issuer-ca-cert': { type: 'string' },
      'issuer-ca-key': { type: 'string' },
      'agent-secret': { type: 'string' },
      'identity-dir': { type: 'string' },
      'operator-identity': { type: 'string' },
      'certificate-days': { type: 'string' },
      insecure: { type: 'boolean' },
      'watch-namespace': { type: 'string' },
      'tenancy-policy': { type: 'string' },
      'node-wide-namespaces': { type: 'string' },
      'log-level': { type: 'string' },
      'export-defaults': { type: 'string' },
      'export-role-arn': { type: 'string' },
      'export-sts': { type: 'string' },
    },
  });
  const exportSts = values['export-sts'] ?? 'true';
  if (exportSts !== 'true' && exportSts !== 'false') throw new FlagError('--export-sts must be true or false');
  const bind = values['http-bind'] ?? '0.0.0.0:8080';
  const colon = bind.lastIndexOf(':');
  if (colon < 0) throw new FlagError(`--http-bind must be HOST:PORT, got ${bind}`);
  const tlsGiven = [values['tls-ca'], values['tls-cert'], values['tls-key']].filter((v) => v !== undefined).length;
  const issuerGiven = [values['issuer-ca-cert'], values['issuer-ca-key']].filter((v) => v !== undefined).length;
  if (values.insecure === true && tlsGiven + issuerGiven > 0) {
    throw new FlagError('--insecure cannot be combined with --tls-* or --issuer-*');
  }
  if (tlsGiven > 0 && issuerGiven > 0) throw new FlagError('--tls-* and --issuer-* exclude each other');
  if (issuerGiven === 1) throw new FlagError('--issuer-ca-cert and --issuer-ca-key go together');
  if (values.insecure !== true && issuerGiven === 0 && tlsGiven !== 3) {
    throw new FlagError(
      '--tls-ca, --tls-cert and --tls-key (or --issuer-ca-cert and --issuer-ca-key) are required (or --insecure for local development)',
    );
  }
  const ownDir = values['identity-dir'] ?? '/var/run/tapedeck/identity';
  const issuer =
    issuerGiven === 2
      ? {
          caCert: values['issuer-ca-cert'] ?? '',
          caKey: values['issuer-ca-key'] ?? '',
          agentSecret: values['agent-secret'] ?? 'tapedeck-agent-tls',
          ownDir,
          operatorIdentity: values['operator-identity'] ?? 'tapedeck-operator',
          validityDays: positive('certificate-days', values['certificate-days'], 90),
        }
      : undefined;
  const leaderElect = values['leader-elect'] ?? 'true';
  if (leaderElect !== 'true' && leaderElect !== 'false') throw new FlagError('--leader-elect must be true or false');
  const leaseDurationMs = int('lease-duration', values['lease-duration'], 15_000);
  const renewDeadlineMs = int('renew-deadline', values['renew-deadline'], 10_000);
  const retryPeriodMs = int('retry-period', values['retry-period'], 2_000);
  if (renewDeadlineMs >= leaseDurationMs || retryPeriodMs >= renewDeadlineMs) {
    throw new FlagError('leader election needs --retry-period < --renew-deadline < --lease-duration');
  }
  return {
    kubeconfig: values.kubeconfig ?? (env.KUBECONFIG === '' ? undefined : env.KUBECONFIG),
    namespace: values.namespace ?? env.POD_NAMESPACE ?? 'tapedeck-system',
    leaderElect: leaderElect === 'true',
    leaseName: values['lease-name'] ?? 'tapedeck-operator',
    identity: values.identity ?? `${hostname()}-${process.pid}`,
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
    httpHost: bind.slice(0, colon),
    httpPort: int('http-bind', bind.slice(colon + 1), 8080),
    agentNamespace: values['agent-namespace'] ?? defaultAgentPods.namespace,
    agentLabels:
      values['agent-selector'] === undefined ? defaultAgentPods.labels : parseLabels(values['agent-selector']),
    agentPort: int('agent-port', values['agent-port'], DEFAULT_AGENT_PORT),
    tls:
      values.insecure === true
        ? undefined
        : {
            ca: issuer ? path.join(ownDir, 'ca.crt') : (values['tls-ca'] ?? ''),
            cert: issuer ? path.join(ownDir, 'tls.crt') : (values['tls-cert'] ?? ''),
            key: issuer ? path.join(ownDir, 'tls.key') : (values['tls-key'] ?? ''),
            serverName: values['tls-server-name'] ?? 'tapedeck-agent',
          },
    issuer,
    watchNamespace: values['watch-namespace'],
    tenancy: {
      policyName: values['tenancy-policy'] ?? 'tapedeck-recording-tenancy',
      nodeWideNamespaces: (values['node-wide-namespaces'] ?? '').split(',').filter((n) => n !== ''),
    },
    export: {
      defaultsFile: values['export-defaults'] ?? (env.TAPEDECK_EXPORT_DEFAULTS || undefined),
      roleArn: values['export-role-arn'] ?? 'arn:aws:iam::000000000000:role/tapedeck-export',
      useSts: exportSts === 'true',
    },
    logLevel: values['log-level'] ?? 'info',
  };
}
