#!/usr/bin/env node
// tapedeck-agent: the node agent. Serves Hubble's recorder API and tapedeck's
// AgentService over gRPC (mTLS unless --insecure), runs capture sessions and
// finalises every open file on SIGTERM/SIGINT before exiting 0.
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { openCapture } from './capture/native-capture.js';
import { ConfigError, parseFlags, USAGE, type AgentConfig } from './config/flags.js';
import { createLogger } from './log.js';
import { systemClock } from './output/clock.js';
import { createJsonRecordWriter, createRecordWriter, PacketFileFormat } from './output/create-record-writer.js';
import { captureFilter } from './server/capture-filter.js';
import { startAgentServer, type ServerTls } from './server/grpc-server.js';
import { LeaderFence } from './server/leader-fence.js';
import type { StorageLedger } from './output/storage-ledger.js';
import { RetentionSweeper } from './retention/retention-sweeper.js';
import type { CreateWriter } from './session/ports.js';
import { OutputFormat } from './session/session-spec.js';
import { SessionManager } from './session/session-manager.js';
import { StateStore } from './state/state-store.js';
import { CredentialVault } from './export/export-credentials.js';
import { makeTarget } from './export/destination-target.js';
import { ExportService } from './export/export-service.js';
import { LocalFiles } from './storage/local-files.js';
import { StorageBudget } from './storage/storage-budget.js';

/** The state store lives here, below the data directory (on the data volume). */
export const STATE_DIR = 'state';

/** How long running gRPC calls may take to finish after every session stopped. */
export const SHUTDOWN_GRACE_MS = 5000;

function writerFactory(ledger: StorageLedger): CreateWriter {
  return (options) => {
    const format = options.format;
    // Hashing costs CPU on the capture path: files are hashed once, by the upload that reads them anyway.
    if (format === OutputFormat.Json) return createJsonRecordWriter({ ...options, sha256: false, ledger });
    if (format !== PacketFileFormat.Pcap && format !== PacketFileFormat.Pcapng) {
      throw new Error(`format ${format} is not implemented`);
    }
    return createRecordWriter({ ...options, format, sha256: false, ledger });
  };
}

/** How often the agent looks again for TLS files that are not there yet, and how often it says so. */
const TLS_WAIT_POLL_MS = 2_000;
const TLS_WAIT_LOG_MS = 30_000;

/**
 * The TLS files, read once here so that an unreadable one fails at start with its name. Files that do not
 * exist yet are waited for: with the chart's issuer the operator fills the agents' Secret after install,
 * and the kubelet then writes it into the mounted volume.
 */
async function readTls(config: AgentConfig, logger: Logger): Promise<ServerTls | undefined> {
  if (!config.tls) return undefined;
  const files = [config.tls.cert, config.tls.key, config.tls.ca];
  let lastLog = 0;
  for (;;) {
    const missing = await missingFiles(files);
    if (missing.length === 0) break;
    if (Date.now() - lastLog >= TLS_WAIT_LOG_MS) {
      lastLog = Date.now();
      logger.warn({ missing }, 'Waiting for the TLS files (with the chart, the operator issues them into the Secret)');
    }
    await new Promise((resolve) => setTimeout(resolve, TLS_WAIT_POLL_MS));
  }
  await Promise.all(files.map((file) => readFile(file)));
  return config.tls;
}

/** Files that do not exist or are empty (the chart's agent Secret before the operator fills it). */
async function missingFiles(files: readonly string[]): Promise<string[]> {
  const present = await Promise.all(
    files.map((file) =>
      stat(file).then(
        (info) => info.size > 0,
        (error: NodeJS.ErrnoException) => error.code !== 'ENOENT',
      ),
    ),
  );
  return files.filter((_, i) => !present[i]);
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

async function serve(config: AgentConfig, logger: Logger): Promise<number> {
  // Captures are wiretaps: the data directory is 0700 and everything the agent creates is readable by the
  // agent only (files 0600, directories 0700), whatever modes the writers ask for. chmod, as the volume
  // (emptyDir, hostPath) may exist already with the kubelet's modes.
  process.umask(0o077);
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  await chmod(config.dataDir, 0o700);
  const store = StateStore.open(path.join(config.dataDir, STATE_DIR));
  const tls = await readTls(config, logger);
  if (!tls) logger.warn('Serving without TLS (--insecure): for local development only');
  const credentials = new CredentialVault();
  const exports = new ExportService({
    nodeName: config.nodeName,
    store,
    credentials,
    makeTarget,
    clock: systemClock,
    logger: logger.child({ component: 'export' }),
  });
  const budget = await StorageBudget.open({
    dataDir: config.dataDir,
    limitBytes: config.storageLimitBytes,
    clock: systemClock,
    logger: logger.child({ component: 'storage' }),
  });
  const localFiles = new LocalFiles({
    dataDir: config.dataDir,
    store,
    clock: systemClock,
    logger: logger.child({ component: 'retention' }),
    forget: (file, bytes) => budget.forget(file, bytes),
  });
  budget.setEvictor((bytes) => localFiles.evict(bytes));
  let forgetSession: (id: string) => void = () => undefined;
  const sweeper = new RetentionSweeper({
    store,
    files: localFiles,
    clock: systemClock,
    logger: logger.child({ component: 'retention' }),
    onForgotten: (id) => forgetSession(id),
  });
  const manager = new SessionManager({
    nodeName: config.nodeName,
    dataDir: config.dataDir,
    maxConcurrentSessions: config.maxSessions,
    logger,
    ports: {
      openCapture,
      createWriter: writerFactory(budget),
      clock: systemClock,
      journal: store,
      observers: [sweeper, exports],
      storage: budget,
    },
  });
  forgetSession = (id) => manager.forget(id);
  const recovered = await manager.recover();
  const exportRecovered = exports.recover();
  await sweeper.start();
  logger.info(
    { ...recovered, export: exportRecovered, leaderEpoch: store.leaderEpoch(), storage: budget.status() },
    'Recovered state',
  );
  const server = await startAgentServer({
    listen: config.listen,
    tls,
    manager,
    buildFilter: captureFilter,
    hubbleInterface: config.hubbleInterface,
    logger,
    fence: new LeaderFence(store, logger),
    credentials,
    exports,
    allowedClients: config.allowedClients,
    storage: () => budget.status(),
    deleteRun: (id) => sweeper.deleteRun(id),
  });
  logger.info(
    {
      listen: config.listen,
      port: server.port,
      mtls: tls !== undefined,
      clients: config.allowedClients,
      dataDir: config.dataDir,
    },
    'Serving gRPC',
  );
  const signal = await nextSignal();
  logger.info({ signal }, 'Shutting down');
  void nextSignal().then((again) => {
    logger.error({ signal: again }, 'Second signal during shutdown, exiting now');
    process.exit(1);
  });
  const stopped = await manager.shutdown();
  await server.shutdown(SHUTDOWN_GRACE_MS);
  // Uploads in flight stop here; their checkpoints let the next agent resume them.
  exports.close();
  sweeper.stop();
  budget.stop();
  store.close();
  logger.info({ sessions: stopped.length, files: stopped.reduce((n, s) => n + s.files.length, 0) }, 'Stopped');
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  let config: AgentConfig | 'help';
  try {
    config = parseFlags(argv);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`tapedeck-agent: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (config === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const logger = createLogger(config.logLevel, config.nodeName);
  try {
    return await serve(config, logger);
  } catch (error) {
    logger.fatal({ err: error }, 'Agent failed');
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
// Open handles (a stuck client) must not keep a stopped agent alive.
setTimeout(() => process.exit(), 100).unref();
