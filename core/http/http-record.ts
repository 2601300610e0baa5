// The record of one exchange: a request with its response, a request never answered, or a response whose
// request was not seen. Times: the first byte of the request (else of the response) to the last byte seen.
import type { FlowInfo } from '../flow/flow-info.js';
import { commonFields } from '../records/common-fields.js';
import { RecordKind, type HttpFields, type HttpMessageFields, type HttpRecord } from '../records/record.js';
import { durationNs } from '../records/record-time.js';
import type { MessageHead } from './message-head.js';
import type { Stamp } from './reader-events.js';
import { REDACTED, type Redaction } from './redaction.js';

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
  return {
    ...commonFields(RecordKind.Http, flow, first.at.sec, first.at.nsec, duration),
    kind: RecordKind.Http,
    http,
  };
}

function messageFields(message: Message, redaction: Redaction): HttpMessageFields {
  const header: Record<string, string[]> = {};
  for (const [name, value] of message.head.headers) {
    const shown = redaction.header(name) ? REDACTED : value;
    const values = Object.hasOwn(header, name) ? header[name] : undefined;
    if (values) values.push(shown);
    // defineProperty: a header named __proto__ stays a header.
    else if (name === '__proto__') Object.defineProperty(header, name, { value: [shown], enumerable: true });
    else header[name] = [shown];
  }
  return { contentLength: message.bodyBytes, header };
}

/** The Host header, else the authority of an absolute URI (or of CONNECT's target). */
function hostOf(head: MessageHead): string {
  for (const [name, value] of head.headers) if (name === 'Host') return value;
  if (head.method === 'CONNECT') return head.uri;
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(head.uri);
  return m?.[1] ?? '';
}
