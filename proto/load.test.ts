import { describe, expect, it } from 'vitest';
import { loadAgentProto, loadRecorderProto } from './load.js';

interface Descriptor {
  readonly field: readonly { readonly name: string; readonly number: number }[];
}

const fields = (type: object): [string, number][] => (type as Descriptor).field.map((f) => [f.name, f.number]);

describe('proto/load', () => {
  it('should load the Hubble recorder service with its wire field numbers', () => {
    const { recorder } = loadRecorderProto();
    expect(Object.keys(recorder.Recorder.service)).toEqual(['Record']);
    const stats = fields(recorder.RecordingStatistics.type);
    expect(stats).toEqual([
      ['bytesCaptured', 1],
      ['packetsCaptured', 2],
      ['packetsLost', 3],
      ['bytesLost', 4],
    ]);
    const stop = fields(recorder.StopCondition.type);
    expect(stop).toEqual([
      ['bytesCapturedCount', 1],
      ['packetsCapturedCount', 2],
      ['timeElapsed', 3],
    ]);
  });

  it('should load the tapedeck agent service', () => {
    const proto = loadAgentProto();
    expect(Object.keys(proto.tapedeck.agent.v1.AgentService.service).sort()).toEqual([
      'GetSession',
      'ListSessions',
      'RefreshCredentials',
      'StartSession',
      'StopSession',
      'UpdateSession',
    ]);
  });
});
