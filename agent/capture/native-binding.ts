// Loads the native capture addon (built by `npm run build:native` from
// agent/capture/native/, see the README there) and describes its raw API.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptureError, CaptureErrorCode } from './capture-error.js';

export interface RawOpenOptions {
  readonly device: string;
  readonly filter: string;
  readonly snaplen: number;
  readonly bufferBytes: number;
  readonly timeoutMs: number;
  readonly batchBytes: number;
  readonly batchCount: number;
}

export interface RawStats {
  /** pcap_stats ps_recv, accumulated to 64 bits; on Linux it includes kernel drops. */
  readonly received: number;
  readonly kernelDropped: number;
  readonly interfaceDropped: number;
  readonly agentDropped: number;
  readonly agentDroppedBytes: number;
  /** Records written into batches. */
  readonly delivered: number;
  /** Times the capture thread waited for JavaScript to release a batch (back-pressure into the kernel ring). */
  readonly poolWaits: number;
  /** The capture loop's libpcap error, "" when none. */
  readonly error: string;
}

/** Opaque handle owned by the addon. */
export type RawHandle = { readonly __brand: 'tapedeck-capture-handle' };

export interface RawOpenResult {
  readonly handle: RawHandle;
  readonly buffers: readonly Buffer[];
  readonly linkType: number;
  readonly snaplen: number;
}

export interface RawInterface {
  readonly name: string;
  readonly description: string;
  readonly loopback: boolean;
  readonly up: boolean;
  readonly running: boolean;
}

export interface NativeCaptureAddon {
  open(
    options: RawOpenOptions,
    onBatch: (slot: number, length: number, packets: number, lastRecordOffset: number) => void,
    onClosed: (stats: RawStats) => void,
  ): RawOpenResult;
  release(handle: RawHandle, slot: number): void;
  close(handle: RawHandle): void;
  stats(handle: RawHandle): RawStats;
  compileFilter(expression: string, linkType: number, snaplen: number): number;
  listInterfaces(): RawInterface[];
  libVersion(): string;
}

const ADDON_FILE = 'tapedeck_capture.node';

/** Where node-gyp puts the addon, seen from agent/capture/ (tsx) and dist/agent/capture/ (built). */
function candidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const fromEnv = process.env['TAPEDECK_CAPTURE_ADDON'];
  return [
    ...(fromEnv !== undefined && fromEnv !== '' ? [fromEnv] : []),
    resolve(here, '../../build/Release', ADDON_FILE),
    resolve(here, '../../../build/Release', ADDON_FILE),
  ];
}

let cached: NativeCaptureAddon | undefined;

export function loadNativeCapture(): NativeCaptureAddon {
  if (cached !== undefined) return cached;
  const paths = candidates();
  const path = paths.find((p) => existsSync(p));
  if (path === undefined) {
    throw new CaptureError(
      CaptureErrorCode.NativeUnavailable,
      `native capture addon not found (looked in ${paths.join(', ')}); run "npm run build:native"`,
    );
  }
  try {
    cached = createRequire(import.meta.url)(path) as NativeCaptureAddon;
  } catch (err) {
    throw new CaptureError(CaptureErrorCode.NativeUnavailable, `cannot load ${path}`, { cause: err });
  }
  return cached;
}
