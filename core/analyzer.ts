// The offline analyser: a capture parser feeding the flow engine with the DNS consumer attached. No I/O:
// the caller reads the bytes (cli/analyze/) and receives the records.
import { createCaptureParser } from './capture/create-capture-parser.js';
import type { CaptureParser } from './capture/capture-parser.js';
import { dnsConsumerFactory } from './dns/dns-consumer.js';
import type { FlowEngineOptions } from './flow/engine-options.js';
import { FlowEngine } from './flow/flow-engine.js';
import type { RecordSink } from './records/record.js';

export type AnalyzerOptions = Omit<FlowEngineOptions, 'onRecord' | 'consumers'>;

export function createFlowEngine(onRecord: RecordSink, options: AnalyzerOptions = {}): FlowEngine {
  return new FlowEngine({ ...options, onRecord, consumers: [dnsConsumerFactory(onRecord)] });
}

/** A parser for the capture whose first bytes are `head`, delivering into `engine`. */
export function captureParserFor(head: Buffer, engine: FlowEngine): CaptureParser {
  return createCaptureParser(head, engine);
}
