// DNS records: one per query/response pair, a lone query (unanswered) or a lone response; and one for a
// message that could not be decoded.
import type { PacketTime } from '../decode/packet-view.js';
import type { FlowInfo } from '../flow/flow-info.js';
import { commonFields } from '../records/common-fields.js';
import { RecordKind, type DnsFields, type DnsRecord } from '../records/record.js';
import { durationNs } from '../records/record-time.js';
import { digText } from './dig-text.js';
import type { DnsMessage } from './dns-message.js';
import { className, rcodeName, typeName } from './dns-names.js';

export interface Stamp {
  readonly time: number; // float seconds, for durations
  readonly sec: number;
  readonly nsec: number;
}

export function stampOf(at: PacketTime): Stamp {
  return { time: at.time, sec: at.tsSec, nsec: at.tsNsec };
}

export function buildDnsRecord(
  flow: FlowInfo,
  query: { message: DnsMessage; at: Stamp } | undefined,
  response: { message: DnsMessage; at: Stamp } | undefined,
): DnsRecord {
  const first = (query ?? response) as { message: DnsMessage; at: Stamp };
  const q = first.message.questions[0] ?? response?.message.questions[0];
  const dns: DnsFields = {
    id: first.message.id,
    name: q?.name ?? '',
    class: q ? className(q.klass) : '',
    type: q ? typeName(q.type) : '',
    answers: (response?.message.answers ?? []).map((rr) => ({
      name: rr.name,
      type: typeName(rr.type),
      ttl: rr.ttl,
      data: rr.data,
    })),
  };
  if (response) {
    dns.rcode = rcodeName(response.message.rcode);
    if (response.message.flags & 0x0200) dns.truncated = true;
    dns.answer = digText(response.message);
  }
  if (query) dns.question = digText(query.message);
  const duration = query && response ? durationNs(query.at.sec, query.at.nsec, response.at.sec, response.at.nsec) : 0;
  return { ...commonFields(RecordKind.Dns, flow, first.at.sec, first.at.nsec, duration), kind: RecordKind.Dns, dns };
}

export function buildMalformedDnsRecord(flow: FlowInfo, id: number, error: string, at: Stamp): DnsRecord {
  return {
    ...commonFields(RecordKind.Dns, flow, at.sec, at.nsec, 0),
    kind: RecordKind.Dns,
    dns: { id, name: '', class: '', type: '', answers: [], malformed: error },
  };
}
