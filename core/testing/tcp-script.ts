// Test helper: a TCP connection written as what each side sends, turned into a capture. Sequence and
// acknowledgement numbers are computed; `{ lost: n }` advances the sender by n bytes that never reach the
// capture (the peer's next segment acknowledges past them, so the flow engine announces a gap).
import { pcapFile, type Frame } from './capture-file.js';
import { tcpFrame, type Endpoint } from './packet-builder.js';

export type ScriptStep =
  | { readonly c: string | Buffer }
  | { readonly s: string | Buffer }
  | { readonly lost: number; readonly from: 'c' | 's' };

export interface ScriptOptions {
  readonly client?: Endpoint;
  readonly server?: Endpoint;
  /** SYN, SYN-ACK, ACK first (default true). */
  readonly handshake?: boolean;
  /** FIN from the client, FIN from the server, ACK last (default true). */
  readonly close?: boolean;
  /** Seconds between packets (default 1 ms). */
  readonly step?: number;
  readonly start?: number;
}

export const SCRIPT_CLIENT: Endpoint = { ip: '10.9.0.1', port: 43210 };
export const SCRIPT_SERVER: Endpoint = { ip: '10.9.0.2', port: 8080 };

export function scriptCapture(steps: readonly ScriptStep[], options: ScriptOptions = {}): Buffer {
  return pcapFile(scriptFrames(steps, options));
}

/** The Ethernet frames of the script, with their times. */
export function scriptFrames(steps: readonly ScriptStep[], options: ScriptOptions = {}): Frame[] {
  const client = options.client ?? SCRIPT_CLIENT;
  const server = options.server ?? SCRIPT_SERVER;
  const seq = { c: 1000, s: 9000 };
  let time = options.start ?? 1_700_000_000;
  const frames: Frame[] = [];
  const send = (from: 'c' | 's', flags: string, text?: string | Buffer): void => {
    const payload = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
    const to = from === 'c' ? 's' : 'c';
    const data = tcpFrame({
      from: from === 'c' ? client : server,
      to: from === 'c' ? server : client,
      seq: seq[from],
      ack: flags.includes('A') ? seq[to] : 0,
      flags,
      ...(payload === undefined ? {} : { payload }),
    });
    frames.push({ data, time });
    time += options.step ?? 0.001;
    seq[from] = (seq[from] + (payload?.length ?? 0) + (flags.includes('S') || flags.includes('F') ? 1 : 0)) >>> 0;
  };
  if (options.handshake ?? true) {
    send('c', 'S');
    send('s', 'SA');
    send('c', 'A');
  }
  for (const step of steps) {
    if ('lost' in step) seq[step.from] = (seq[step.from] + step.lost) >>> 0;
    else if ('c' in step) send('c', 'PA', step.c);
    else send('s', 'PA', step.s);
  }
  if (options.close ?? true) {
    send('c', 'FA');
    send('s', 'FA');
    send('c', 'A');
  }
  return frames;
}
