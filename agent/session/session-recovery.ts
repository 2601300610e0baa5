// What a starting agent does with the sessions the state store knows: a
// session that was running (the agent crashed) or paused (SIGTERM) gets its
// files repaired (torn tail cut, hidden partial files removed, sizes, packet
// counts and hashes recorded) and is then either resumed as its next segment
// or, when its window, time limit or a stop condition ran out while the agent
// was away (or it was a Hubble stream), recorded as stopped.
import { existsSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import { removePartialFiles, trimTornTail } from '../output/recover-output-file.js';
import type { StoredFile, StoredSession } from '../state/stored-records.js';
import { StoredState } from '../state/stored-records.js';
import { capturedBy, sessionFileOf } from './archived-session.js';
import type { SessionJournal } from './ports.js';
import type { SessionResume } from './session-journal-writer.js';
import { StopReason } from './stop-condition.js';

export const GapReason = {
  Crash: 'agent restarted after it ended unexpectedly (crash, kill -9 or OOM kill)',
  Shutdown: 'agent restarted after a shutdown (SIGTERM: upgrade, drain or rolling restart)',
} as const;

export type Recovered =
  | { readonly kind: 'resume'; readonly resume: SessionResume }
  | { readonly kind: 'stopped'; readonly stored: StoredSession; readonly files: readonly StoredFile[] };

export interface RecoveryContext {
  readonly journal: SessionJournal;
  readonly now: () => number;
  readonly logger: Logger;
  /** The directory of a session's files (for removing partial files). */
  readonly directoryFor: (stored: StoredSession) => string;
}

/** Plans every stored session; repairs the files of those that were running. */
export async function recoverSessions(context: RecoveryContext): Promise<Recovered[]> {
  const plans: Recovered[] = [];
  for (const stored of context.journal.sessions()) {
    if (stored.state !== StoredState.Running && stored.state !== StoredState.Paused) {
      plans.push({ kind: 'stopped', stored, files: context.journal.files(stored.id) });
      continue;
    }
    plans.push(await recoverOne(stored, context));
  }
  return plans;
}

async function recoverOne(stored: StoredSession, context: RecoveryContext): Promise<Recovered> {
  const { journal, logger } = context;
  const log = logger.child({ session: stored.id });
  const directory = context.directoryFor(stored);
  if (existsSync(directory)) {
    const removed = removePartialFiles(directory);
    if (removed.length > 0) log.info({ files: removed }, 'Removed partial files');
  }
  const files: StoredFile[] = [];
  for (const file of journal.files(stored.id)) {
    const repaired = file.closed ? file : await repair(file, journal, log);
    if (repaired !== undefined) files.push(repaired);
  }
  const now = context.now();
  const captured = capturedBy(stored.spec, files);
  const crashed = stored.state === StoredState.Running;
  const ended = endReason(stored, captured, now);
  if (ended !== undefined) {
    const stopped: StoredSession = {
      ...stored,
      state: StoredState.Stopped,
      stopReason: ended.reason,
      stopMs: ended.atMs,
      message: ended.message,
    };
    journal.putSession(stopped);
    log.info({ reason: ended.reason, message: ended.message }, 'Not resuming capture');
    return { kind: 'stopped', stored: stopped, files };
  }
  const resume: SessionResume = {
    stored,
    priorFiles: files.map(sessionFileOf),
    prior: {
      packets: captured.packets,
      bytes: captured.bytes,
      lostPackets: stored.priorLostPackets + stored.segmentLostPackets,
      lostBytes: stored.priorLostBytes + stored.segmentLostBytes,
      storageLostPackets: stored.storageLostPackets ?? 0,
      storageLostBytes: stored.storageLostBytes ?? 0,
    },
    gap: {
      fromMs: crashed ? stored.aliveMs : (stored.stopMs ?? stored.aliveMs),
      toMs: now,
      reason: crashed ? GapReason.Crash : GapReason.Shutdown,
    },
  };
  return { kind: 'resume', resume };
}

function endReason(
  stored: StoredSession,
  captured: { packets: number; bytes: number },
  now: number,
): { reason: StopReason; atMs: number; message: string } | undefined {
  const { spec } = stored;
  const away = 'while the agent was not running';
  const last = stored.state === StoredState.Paused ? (stored.stopMs ?? stored.aliveMs) : stored.aliveMs;
  if (spec.recording === undefined) {
    return { reason: StopReason.Shutdown, atMs: last, message: 'Hubble recordings are not resumed after a restart' };
  }
  if (spec.windowEndMs !== undefined && spec.windowEndMs <= now) {
    return {
      reason: StopReason.Duration,
      atMs: Math.max(last, Math.min(now, spec.windowEndMs)),
      message: `window ended ${away}`,
    };
  }
  const { limits } = spec;
  if (limits.timeElapsedMs > 0 && now - stored.firstStartMs >= limits.timeElapsedMs) {
    return {
      reason: StopReason.TimeElapsed,
      atMs: Math.max(last, stored.firstStartMs + limits.timeElapsedMs),
      message: `time limit reached ${away}`,
    };
  }
  if (limits.packets > 0 && captured.packets >= limits.packets) {
    return { reason: StopReason.PacketLimit, atMs: last, message: '' };
  }
  if (limits.bytes > 0 && captured.bytes >= limits.bytes)
    return { reason: StopReason.ByteLimit, atMs: last, message: '' };
  return undefined;
}

/** Cuts an open file back to its last whole record and records it closed (unhashed, as every file); undefined if it is gone. */
async function repair(
  file: StoredFile,
  journal: RecoveryContext['journal'],
  log: Logger,
): Promise<StoredFile | undefined> {
  if (!existsSync(file.path)) {
    journal.deleteFile(file.path);
    return undefined;
  }
  try {
    const trimmed = trimTornTail(file.path);
    const repaired: StoredFile = {
      ...file,
      bytes: trimmed.bytes,
      packets: trimmed.packets,
      capturedBytes: trimmed.capturedBytes,
      sha256: '',
      closed: true,
      closeMs: Math.round(statSync(file.path).mtimeMs),
    };
    journal.putFile(repaired);
    log.info(
      { file: file.path, packets: trimmed.packets, trimmedBytes: trimmed.trimmedBytes },
      'Repaired capture file',
    );
    return repaired;
  } catch (error) {
    log.warn({ file: file.path, err: error }, 'Cannot repair capture file');
    return file;
  }
}
