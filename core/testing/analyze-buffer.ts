// Test helper: runs a capture held in memory through the analyser and returns its records, each checked
// against the published JSON Schema.
import { captureParserFor, createFlowEngine, type AnalyzerOptions } from '../analyzer.js';
import type { TrafficRecord } from '../records/record.js';
import { assertValidRecord } from './validate-record.js';

export function analyzeBuffer(capture: Buffer, options: AnalyzerOptions = {}): TrafficRecord[] {
  const records: TrafficRecord[] = [];
  const engine = createFlowEngine((r) => {
    assertValidRecord(r);
    records.push(r);
  }, options);
  const parser = captureParserFor(capture, engine);
  const end = parser.parse(capture, 0, capture.length);
  parser.finish(capture.length - end);
  engine.finish();
  return records;
}
