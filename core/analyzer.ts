// The offline analyser: a capture parser feeding the flow engine with the DNS and HTTP consumers attached
// (the agent's json writer builds the same engine). No I/O:
// the caller reads the bytes (cli/analyze/) and receives the records.
import { createCaptureParser } from './capture/create-capture-parser.js';
import type { CaptureParser } from './capture/capture-parser.js';
import { dnsConsumerFactory } from './dns/dns-consumer.js';
import type { FlowEngineOptions } from './flow/engine-options.js';
import { FlowEngine } from './flow/flow-engine.js';
import { httpConsumerFactory } from './http/http-consumer.js';
import type { RedactionOptions } from './http/redaction.js';
import type { RecordSink } from './records/record.js';

export interface AnalyzerOptions extends Omit<FlowEngineOptions, 'onRecord' | 'consumers'> {
  /** HTTP header and query redaction (default: auth and cookie headers). */
  readonly redaction?: RedactionOptions;
}

export function createFlowEngine(onRecord: RecordSink, options: AnalyzerOptions = {}): FlowEngine {
  const { redaction, ...engine } = options;
  const consumers = [dnsConsumerFactory(onRecord), httpConsumerFactory(onRecord, redaction ? { redaction } : {})];
  return new FlowEngine({ ...engine, onRecord, consumers });
}

/** A parser for the capture whose first bytes are `head`, delivering into `engine`. */
export function captureParserFor(head: Buffer, engine: FlowEngine): CaptureParser {
  return createCaptureParser(head, engine);
}
