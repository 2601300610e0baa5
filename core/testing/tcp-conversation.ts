// Test helper: a TCP conversation between a client and a server written as a list of steps, run through
// the flow engine with a consumer that collects each direction's reassembled bytes and gaps.
import { FlowEngine } from '../flow/flow-engine.js';
import { Direction, type StreamConsumerFactory } from '../flow/stream-consumer.js';
import type { FlowRecord, TrafficRecord } from '../records/record.js';
import { pcapFile, type Frame } from './capture-file.js';
import { tcpFrame, type Endpoint } from './packet-builder.js';
import { captureParserFor } from '../analyzer.js';
import { assertValidRecord } from './validate-record.js';

export const CLIENT: Endpoint = { ip: '10.0.0.1', port: 40000 };
export const SERVER: Endpoint = { ip: '10.0.0.2', port: 80 };

export interface Step {
  /** 'c' = client to server, 's' = server to client. */
  readonly dir: 'c' | 's';
  /** Sequence number relative to the sender's ISN. */
  readonly seq: number;
  /** Acknowledgement relative to the peer's ISN (omitted = no ACK flag unless flags say A). */
  readonly ack?: number;
  readonly flags: string;
  readonly payload?: string;
}

export interface Outcome {
  readonly flow: FlowRecord;
  readonly records: TrafficRecord[];
  /** Reassembled bytes per direction, gaps shown as [gap N]. */
  readonly streams: { client: string; server: string };
}

export function runConversation(steps: readonly Step[], isn = { c: 1000, s: 5000 }): Outcome {
  const frames: Frame[] = steps.map((step, i) => {
    const fromClient = step.dir === 'c';
    return {
      time: 1_700_000_000 + i * 0.001,
      data: tcpFrame({
        from: fromClient ? CLIENT : SERVER,
        to: fromClient ? SERVER : CLIENT,
        seq: (fromClient ? isn.c : isn.s) + step.seq,
        ack: step.ack === undefined ? 0 : (fromClient ? isn.s : isn.c) + step.ack,
        flags: step.flags,
        payload: step.payload,
      }),
    };
  });
  const streams = { client: '', server: '' };
  const collector: StreamConsumerFactory = {
    open: () => ({
      data(direction, data, start, end) {
        const text = data.toString('latin1', start, end);
        if (direction === Direction.ClientToServer) streams.client += text;
        else streams.server += text;
      },
      gap(direction, bytes) {
        if (direction === Direction.ClientToServer) streams.client += `[gap ${bytes}]`;
        else streams.server += `[gap ${bytes}]`;
      },
      end() {},
    }),
  };
  const records: TrafficRecord[] = [];
  const engine = new FlowEngine({
    onRecord: (r) => {
      assertValidRecord(r);
      records.push(r);
    },
    consumers: [collector],
  });
  const file = pcapFile(frames);
  const parser = captureParserFor(file, engine);
  parser.finish(file.length - parser.parse(file, 0, file.length));
  engine.finish();
  const flow = records.find((r): r is FlowRecord => r.kind === 'flow');
  if (!flow) throw new Error('no flow record');
  return { flow, records, streams };
}

/** SYN, SYN-ACK, ACK. */
export const HANDSHAKE: readonly Step[] = [
  { dir: 'c', seq: 0, flags: 'S' },
  { dir: 's', seq: 0, ack: 1, flags: 'SA' },
  { dir: 'c', seq: 1, ack: 1, flags: 'A' },
];
