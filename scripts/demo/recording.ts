// The demo's Recording: read from loopback.yaml, applied through the API, then watched (by polling)
// until it reaches a final phase, printing a progress line whenever its phase or packet count moves.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { RECORDING_GROUP, RECORDING_PLURAL, RECORDING_VERSION } from '../../operator/api/recording.js';
import type { Recording } from '../../operator/api/recording.js';
import { DemoError, DemoErrorCode, pause } from './errors.js';

const coords = { group: RECORDING_GROUP, version: RECORDING_VERSION, plural: RECORDING_PLURAL };
export const RECORDING_FILE = fileURLToPath(new URL('./loopback.yaml', import.meta.url));
const FINAL_PHASES: ReadonlySet<string> = new Set(['Completed', 'Failed', 'Expired']);
const POLL_MS = 250;
const PROGRESS_EVERY_MS = 1_000;

export async function readDemoRecording(): Promise<Recording> {
  return parse(await readFile(RECORDING_FILE, 'utf8')) as Recording;
}

/** The destination port of the Recording's first filter rule: where the demo sends its traffic. */
export function trafficPort(recording: Recording): number {
  const port = recording.spec.filter?.include?.[0]?.destinationPort;
  if (port === undefined) throw new DemoError(DemoErrorCode.Recording, `${RECORDING_FILE} names no destinationPort`);
  return port;
}

export const recordingRef = (r: Recording): string => `${r.metadata.namespace ?? 'default'}/${r.metadata.name ?? ''}`;

export async function applyRecording(custom: CustomObjectsApi, recording: Recording): Promise<void> {
  await custom.createNamespacedCustomObject({
    ...coords,
    namespace: recording.metadata.namespace ?? 'default',
    body: recording,
  });
}

/**
 * Polls until the Recording is Completed, Failed or Expired, calling `progress` with lines like
 * "Waiting for Recording demo/loopback: Running, 1234 packets". Fails after `timeoutMs`.
 */
export async function waitForFinalPhase(
  custom: CustomObjectsApi,
  recording: Recording,
  options: { timeoutMs: number; signal: AbortSignal; progress: (line: string) => void },
): Promise<Recording> {
  const ref = recordingRef(recording);
  const deadline = Date.now() + options.timeoutMs;
  let said = '';
  let saidAt = 0;
  for (;;) {
    const current = (await custom.getNamespacedCustomObject({
      ...coords,
      namespace: recording.metadata.namespace ?? 'default',
      name: recording.metadata.name ?? '',
    })) as Recording;
    const phase = current.status?.phase ?? 'Pending';
    if (FINAL_PHASES.has(phase)) return current;
    const line = `Waiting for Recording ${ref}: ${phase}, ${current.status?.totals?.packetsCaptured ?? 0} packets`;
    if (line !== said && Date.now() - saidAt >= PROGRESS_EVERY_MS) {
      options.progress(line);
      said = line;
      saidAt = Date.now();
    }
    if (Date.now() > deadline) {
      throw new DemoError(
        DemoErrorCode.Recording,
        `Recording ${ref} is still ${phase} after ${options.timeoutMs / 1000} s (status: ${JSON.stringify(current.status ?? {})})`,
      );
    }
    await pause(POLL_MS, options.signal);
  }
}
