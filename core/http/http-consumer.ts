// HTTP/1.x records from every TCP connection, on any port: a connection whose client does not send a
// request line within its first DETECT_BYTES is not HTTP and costs nothing more.
import { IpProtocol } from '../decode/packet-view.js';
import type { StreamConsumerFactory } from '../flow/stream-consumer.js';
import type { RecordSink } from '../records/record.js';
import { HttpConnection } from './http-connection.js';
import { Redaction, type RedactionOptions } from './redaction.js';

export interface HttpConsumerOptions {
  readonly redaction?: RedactionOptions;
}

export function httpConsumerFactory(sink: RecordSink, options: HttpConsumerOptions = {}): StreamConsumerFactory {
  const redaction = new Redaction(options.redaction);
  return {
    open(flow) {
      if (flow.protocol !== IpProtocol.Tcp) return undefined;
      return new HttpConnection(flow, sink, redaction);
    },
  };
}
