// The flow record of a finished (or still open) flow.
import type { Flow } from '../flow/flow.js';
import { commonFields } from './common-fields.js';
import { FlowEnd, RecordKind, type FlowRecord, type PerSide } from './record.js';
import { durationNs } from './record-time.js';

function perSide(flow: Flow, values: readonly number[]): PerSide {
  const c = flow.clientSide;
  return { client: values[c] ?? 0, server: values[c === 0 ? 1 : 0] ?? 0 };
}

/** `idle`: the flow ended by timeout rather than being open when capture stopped. */
export function flowEnd(flow: Flow, idle: boolean): FlowEnd {
  if (flow.rstSide >= 0) return flow.rstSide === flow.clientSide ? FlowEnd.ClientReset : FlowEnd.ServerReset;
  if (flow.finSide >= 0) return flow.finSide === flow.clientSide ? FlowEnd.ClientHup : FlowEnd.ServerHup;
  return idle ? FlowEnd.Timeout : FlowEnd.Open;
}

export function buildFlowRecord(flow: Flow, end: FlowEnd): FlowRecord {
  const duration = durationNs(flow.firstSec, flow.firstNsec, flow.lastSec, flow.lastNsec);
  const streams = flow.streams;
  const gaps = streams ? [streams[0].gapBytes, streams[1].gapBytes] : [0, 0];
  const conflicts = streams ? streams[0].conflicts + streams[1].conflicts : 0;
  const flipped = flow.clientSide === 1 && flow.history ? '^' : '';
  return {
    ...commonFields(RecordKind.Flow, flow, flow.firstSec, flow.firstNsec, duration),
    kind: RecordKind.Flow,
    packets: perSide(flow, flow.packets),
    bytes: perSide(flow, flow.bytes),
    payload: perSide(flow, flow.payload),
    end,
    history: flipped + (flow.history?.format(flow.clientSide) ?? ''),
    gaps: perSide(flow, gaps),
    conflicts,
  };
}
