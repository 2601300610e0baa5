// The fields every record carries, from its flow and its first packet's time.
import type { FlowInfo } from '../flow/flow-info.js';
import { SCHEMA_VERSION, type CommonFields, type RecordKind } from './record.js';
import { formatTime } from './record-time.js';

export function commonFields(
  kind: RecordKind,
  flow: FlowInfo,
  sec: number,
  nsec: number,
  duration: number,
): CommonFields {
  return {
    schema: SCHEMA_VERSION,
    kind,
    flow: flow.flowId(),
    communityId: flow.communityId(),
    time: formatTime(sec, nsec),
    duration: Math.round(duration),
    network: flow.network(),
    client: flow.client(),
    server: flow.server(),
  };
}
