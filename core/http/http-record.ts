// The record of one exchange: a request with its response, a request never answered, or a response whose
// request was not seen. Times: the first byte of the request (else of the response) to the last byte seen.
import type { FlowInfo } from '../flow/flow-info.js';
import { commonFields } from '../records/common-fields.js';
import { RecordKind, type HttpFields, type HttpMessageFields, type HttpRecord } from '../records/record.js';
import { durationNs } from '../records/record-time.js';
import type { MessageHead } from './message-head.js';
import type { Stamp } from './reader-events.js';
import type { Redaction } from './redaction.js';

export interface Message {
  readonly head: MessageHead;
  readonly at: Stamp;
  bodyBytes: number;
  partial: boolean;
}

export interface Exchange {
  request?: Message;
  response?: Message;
  lastAt: Stamp;
}

export function buildHttpRecord(flow: FlowInfo, exchange: Exchange, redaction: Redaction): HttpRecord {
  const { request, response } = exchange;
  const first = (request ?? response) as Message;
  const http: HttpFields = {
    method: request?.head.method ?? '',
    host: request ? hostOf(request.head) : '',
    uri: request ? redaction.uri(request.head.uri) : '',
    proto: first.head.proto,
  };
  if (response) http.statusCode = response.head.statusCode;
  if (request) http.request = messageFields(request, redaction);
  if (response) http.response = messageFields(response, redaction);
  if (!request || request.partial || response?.partial) http.partial = true;
  const duration = durationNs(first.at.sec, first.at.nsec, exchange.lastAt.sec, exchange.lastAt.nsec);
  // The object commonFields() made becomes the record (kind Http): a copy of it would cost a record's worth.
  const record = commonFields(RecordKind.Http, flow, first.at.sec, first.at.nsec, duration) as HttpRecord;
  record.http = http;
  return record;
}

function messageFields(message: Message, redaction: Redaction): HttpMessageFields {
  return { contentLength: message.bodyBytes, header: redaction.fields(message.head.fields) };
}

/** The Host header, else the authority of an absolute URI (or of CONNECT's target). */
function hostOf(head: MessageHead): string {
  if (head.host !== undefined) return head.host;
  if (head.method === 'CONNECT') return head.uri;
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(head.uri);
  return m?.[1] ?? '';
}
