#!/usr/bin/env node
// tapedeck-operator: reconciles Recordings into capture sessions on the node
// agents. Campaigns for a Lease, serves /metrics, /healthz and /readyz, and on
// SIGTERM/SIGINT finishes in-flight reconciles and releases the Lease.
import { readFile } from 'node:fs/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { FlagError, USAGE, parseFlags } from './config/flags.js';
import type { OperatorConfig } from './config/flags.js';
import { Controller } from './controller/controller.js';
import { GrpcAgentClient } from './dispatch/grpc-agent-client.js';
import type { AgentTlsFiles } from './dispatch/agent-identity.js';
import { CertificateAuthority } from './identity/certificate-authority.js';
import { IdentityIssuer } from './identity/identity-issuer.js';
import { CertificateExpiry } from './ops/cert-expiry.js';
import { startHttpServer } from './ops/http-server.js';
import { LeaderElector } from './ops/leader-election.js';
import { OperatorMetrics } from './ops/metrics.js';
import { ExportGrants } from './export/export-grants.js';
import { loadExportDefaults } from './export/export-defaults.js';
import { secretReader } from './export/secret-reader.js';

function loadKubeConfig(config: OperatorConfig): KubeConfig {
  const kc = new KubeConfig();
  if (config.kubeconfig !== undefined) kc.loadFromFile(config.kubeconfig);
  else kc.loadFromCluster();
  return kc;
}

/** The TLS files, watched for rotation; read once here so that a missing one fails at start with its name. */
async function readTls(config: OperatorConfig): Promise<AgentTlsFiles | undefined> {
  if (config.tls === undefined) return undefined;
  const { ca, cert, key, serverName } = config.tls;
  await Promise.all([readFile(ca), readFile(cert), readFile(key)]);
  return { caFile: ca, certFile: cert, keyFile: key, serverName };
}

function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** With --issuer-*: the operator's own certificate files exist before readTls() reads them. */
async function startIssuer(
  config: OperatorConfig,
  kubeConfig: KubeConfig,
  log: Logger,
): Promise<IdentityIssuer | undefined> {
  const issuer = config.issuer;
  if (issuer === undefined) return undefined;
  const [caCert, caKey] = await Promise.all([readFile(issuer.caCert, 'utf8'), readFile(issuer.caKey, 'utf8')]);
  const identities = new IdentityIssuer({
    ca: await CertificateAuthority.load(caCert, caKey),
    secrets: kubeConfig.makeApiClient(CoreV1Api),
    namespace: config.namespace,
    agentSecret: issuer.agentSecret,
    agentName: config.tls?.serverName ?? 'tapedeck-agent',
    operatorIdentity: issuer.operatorIdentity,
    ownDir: issuer.ownDir,
    validityMs: issuer.validityDays * 86_400_000,
    log: log.child({ component: 'identity' }),
  });
  await identities.start();
  return identities;
}

async function run(config: OperatorConfig, log: Logger): Promise<number> {
  const kubeConfig = loadKubeConfig(config);
  const identities = await startIssuer(config, kubeConfig, log);
  const tls = await readTls(config);
  if (tls === undefined) log.warn('Talking to agents without TLS (--insecure): for local development only');
  const metrics = new OperatorMetrics(true);
  // Certificate expiry as a metric and a Warning Event on this Pod (ops/cert-expiry.ts).
  const expiry = new CertificateExpiry({
    registry: metrics.registry,
    kubeConfig,
    pod: { name: config.identity, namespace: config.namespace },
    log,
  });
  if (tls !== undefined) {
    tls.onAgentCertificate = expiry.seenAgent;
    await expiry.watchOwn(tls.certFile);
  }
  const exports = new ExportGrants({
    readSecret: secretReader(kubeConfig),
    operatorNamespace: config.namespace,
    defaults: await loadExportDefaults(config.export.defaultsFile),
    roleArn: config.export.roleArn,
    useSts: config.export.useSts,
  });
  let agentClient: GrpcAgentClient | undefined;
  let elector: LeaderElector | undefined;
  let fenced: (() => void) | undefined;
  const controller = new Controller({
    kubeConfig,
    agents: (directory) => (agentClient = new GrpcAgentClient(directory, tls)),
    agentPods: { namespace: config.agentNamespace, labels: config.agentLabels, defaultPort: config.agentPort },
    metrics,
    log,
    identity: config.identity,
    watchNamespace: config.watchNamespace,
    tenancy: config.tenancy,
    exports,
    leadership: {
      get canAct() {
        return elector === undefined ? true : elector.canAct;
      },
      get epoch() {
        return elector?.epoch ?? 0;
      },
    },
    onFenced: () => fenced?.(),
  });
  let lostLeadership = false;
  const lost = new Promise<void>((resolve) => {
    if (!config.leaderElect) return;
    fenced = () => {
      lostLeadership = true;
      resolve();
    };
    elector = new LeaderElector(kubeConfig, {
      namespace: config.namespace,
      name: config.leaseName,
      identity: config.identity,
      leaseDurationMs: config.leaseDurationMs,
      renewDeadlineMs: config.renewDeadlineMs,
      retryPeriodMs: config.retryPeriodMs,
      log,
      onStartedLeading: () => {
        metrics.leader.set(1);
        metrics.leaderEpoch.set(elector?.epoch ?? 0);
        controller.startWorkers();
      },
      onStoppedLeading: () => {
        metrics.leader.set(0);
        lostLeadership = true;
        resolve();
      },
    });
  });
  const server = await startHttpServer(config.httpHost, config.httpPort, metrics.registry, {
    healthy: () => !lostLeadership,
    ready: () => controller.isSynced,
  });
  log.info({ bind: `${config.httpHost}:${config.httpPort}`, identity: config.identity }, 'Serving probes and metrics');
  await controller.startCaches();
  log.info('Caches synced');
  if (elector === undefined) {
    metrics.leader.set(1);
    controller.startWorkers();
  } else elector.start();

  const why = await Promise.race([nextSignal(), lost.then(() => 'lost-leadership' as const)]);
  log.info({ reason: why }, 'Shutting down');
  await controller.stopWorkers();
  await elector?.stop();
  await controller.stop();
  agentClient?.close();
  identities?.stop();
  expiry.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  log.info('Stopped');
  return why === 'lost-leadership' ? 1 : 0;
}

async function main(): Promise<void> {
  let config: OperatorConfig;
  try {
    config = parseFlags(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
  const log = pino({
    name: 'tapedeck-operator',
    level: config.logLevel,
    redact: { paths: ['*.authorization', '*.headers.authorization', '*.token', '*.key'], censor: '[redacted]' },
  });
  try {
    process.exitCode = await run(config, log);
  } catch (error) {
    log.fatal({ err: error }, error instanceof FlagError ? 'Invalid flags' : 'Operator failed');
    process.exitCode = 1;
  }
}

await main();
