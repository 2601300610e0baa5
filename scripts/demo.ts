// npm run demo: tapedeck end to end on this machine, with no cluster and no cloud account. Starts
// the test environment's control plane, installs the CRD, runs one tapedeck-agent (this machine is
// the node; mTLS with generated certificates) and the tapedeck-operator, applies
// scripts/demo/loopback.yaml while sending UDP on loopback, waits for a final phase and prints the status
// and every pcap file with capinfos' packet count. Files stay in a temp dir it names; Ctrl-C stops
// everything cleanly. Exit code: 0 Completed, 1 failure, 130 interrupted.
import { mkdtemp } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { registerAgentPod, startAgent, AGENT_NAMESPACE } from './demo/agent.js';
import { checkBinaries, createNamespaces, registerNode, startControlPlane } from './demo/control-plane.js';
import { DemoError, DemoErrorCode, unlessAborted } from './demo/errors.js';
import { startOperator } from './demo/operator.js';
import type { DemoChild } from './demo/child.js';
import {
  applyRecording,
  readDemoRecording,
  recordingRef,
  RECORDING_FILE,
  trafficPort,
  waitForFinalPhase,
} from './demo/recording.js';
import { captureFiles, kubectlGetRec, statusYaml } from './demo/report.js';
import { startUdpTraffic } from './demo/traffic.js';

const FINAL_PHASE_TIMEOUT_MS = 90_000;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

const abort = new AbortController();
const cleanups: { what: string; run: () => Promise<unknown> }[] = [];
let operatorChild: DemoChild | undefined;

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (abort.signal.aborted) {
      say('Interrupted again: exiting now');
      process.exit(130);
    }
    say(`\n${signal}: shutting down (press Ctrl-C again to exit at once)...`);
    abort.abort();
  });
}

/** This machine's node name: the host name when it is a DNS label, else tapedeck-demo. */
function nodeName(): string {
  const name = hostname().toLowerCase().split('.')[0] ?? '';
  return DNS_LABEL.test(name) ? name : 'tapedeck-demo';
}

/** Stops what `start` started once it is up; a failed start was reported already and left nothing running. */
function afterStart<T>(start: Promise<T>, stop: (started: T) => Promise<unknown>): () => Promise<unknown> {
  return () => start.then(stop, () => undefined);
}

async function step<T>(work: Promise<T>): Promise<T> {
  return unlessAborted(work, abort.signal);
}

async function demo(demoDir: string): Promise<void> {
  const node = nodeName();
  const recording = await readDemoRecording();
  const namespace = recording.metadata.namespace ?? 'default';
  say('Starting the control plane (etcd, kube-apiserver, kube-controller-manager)...');
  const began = Date.now();
  const startup = startControlPlane();
  // An interrupted start still has to be stopped once it is up.
  cleanups.push({ what: 'control plane', run: afterStart(startup, (cp) => cp.env.stop()) });
  const cp = await step(startup);
  await step(registerNode(cp.core, node));
  await step(createNamespaces(cp.core, [AGENT_NAMESPACE, namespace]));
  say(`Control plane ready in ${seconds(Date.now() - began)} at ${cp.env.facts.apiServerUrl}`);
  say(`  CRD recordings.tapedeck.dev installed, Node ${node} registered`);

  const agentStart = startAgent(demoDir, node);
  cleanups.unshift({ what: 'agent', run: afterStart(agentStart, (a) => a.child.stop()) });
  const agent = await step(agentStart);
  const pod = await step(registerAgentPod(cp.core, node, agent.port));
  say(`Agent serving gRPC with mTLS on 127.0.0.1:${agent.port} (Pod ${pod})`);

  const operatorStart = startOperator(demoDir, cp.env.facts.kubeconfigPath, agent, namespace);
  cleanups.unshift({ what: 'operator', run: afterStart(operatorStart, (o) => o.stop()) });
  operatorChild = await step(operatorStart);
  say('Operator running');

  const port = trafficPort(recording);
  const traffic = await step(startUdpTraffic(port));
  cleanups.unshift({ what: 'traffic', run: () => traffic.stop() });
  await step(applyRecording(cp.custom, recording));
  say(`Applied Recording ${recordingRef(recording)} (${path.relative(process.cwd(), RECORDING_FILE)})`);
  say(`  sending UDP datagrams to 127.0.0.1:${port}`);
  const final = await waitForFinalPhase(cp.custom, recording, {
    timeoutMs: FINAL_PHASE_TIMEOUT_MS,
    signal: abort.signal,
    progress: say,
  });
  await traffic.stop();
  const status = final.status;
  say(`Recording ${recordingRef(recording)} ${status?.phase ?? '?'} (stopReason ${status?.stopReason ?? '-'})`);
  say(`  the demo sent ${traffic.sent()} datagrams in all`);
  say();
  say(`$ kubectl get rec -n ${namespace} ${recording.metadata.name ?? ''} -o wide`);
  say(await step(kubectlGetRec(cp.env.facts.bin.kubectl, cp.env.facts.kubeconfigPath, final)));
  say();
  say(statusYaml(final));
  say();
  if (status?.phase !== 'Completed') {
    throw new DemoError(DemoErrorCode.Recording, `Recording ${recordingRef(recording)} ended ${status?.phase}`);
  }
  const files = await step(captureFiles(final, agent.dataDir));
  if (files.length === 0) throw new DemoError(DemoErrorCode.Files, 'The Recording names no pcap or pcapng file');
  say('Capture files (packets counted by capinfos):');
  for (const f of files) say(`  ${f.path}: ${f.packets} packets`);
  const empty = files.filter((f) => f.packets === 0);
  if (empty.length > 0) {
    throw new DemoError(DemoErrorCode.Files, `No packets in ${empty.map((f) => f.path).join(', ')}`);
  }
}

async function shutdown(): Promise<void> {
  say('Shutting down...');
  for (const { what, run } of cleanups.splice(0)) {
    await run().catch((error: unknown) => say(`  stopping the ${what} failed: ${String(error)}`));
  }
}

try {
  await checkBinaries();
} catch (error) {
  say(`Demo failed (${(error as DemoError).code}): ${(error as Error).message}`);
  process.exit(1);
}
const demoDir = await mkdtemp(path.join(tmpdir(), 'tapedeck-demo-'));
say(`tapedeck demo: a local control plane, the operator and one agent on this machine (files in ${demoDir})`);
try {
  await demo(demoDir);
  await shutdown();
  say(`Done. Open the files above with tshark or Wireshark; logs: ${demoDir}/{agent,operator}.log`);
  process.exitCode = 0;
} catch (error) {
  const code = error instanceof DemoError ? error.code : 'TD_ERR_DEMO_UNEXPECTED';
  const interrupted = code === DemoErrorCode.Interrupted;
  if (!interrupted) {
    say();
    say(`Demo failed (${code}): ${error instanceof Error ? error.message : String(error)}`);
    if (operatorChild !== undefined && code === DemoErrorCode.Recording) {
      say(`The operator's last log lines (all in ${operatorChild.logFile}):\n${operatorChild.tail()}`);
    }
    if (process.getuid?.() !== 0) say('Note: capturing needs root (or CAP_NET_RAW and CAP_NET_ADMIN).');
  }
  await shutdown();
  say(`Logs and files are kept in ${demoDir}`);
  process.exitCode = interrupted ? 130 : 1;
}
