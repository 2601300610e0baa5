import { describe, expect, it } from 'vitest';
import type { Recording } from '../../operator/api/recording.js';
import { DemoError } from './errors.js';
import { readDemoRecording, recordingRef, trafficPort } from './recording.js';

describe('demo recording', () => {
  it('should capture UDP to a loopback port on lo as pcap and pcapng', async () => {
    const recording = await readDemoRecording();
    expect(recordingRef(recording)).toBe('demo/loopback');
    expect(recording.spec.target.interfaces).toEqual(['lo']);
    expect(recording.spec.filter?.include).toEqual([
      { destinationCIDR: '127.0.0.1/32', destinationPort: trafficPort(recording), protocol: 'UDP' },
    ]);
    expect(recording.spec.output.formats).toEqual(['pcap', 'pcapng']);
  });

  it('should refuse a Recording without a destination port to send to', () => {
    const recording = { metadata: { name: 'x' }, spec: { filter: { include: [{ protocol: 'UDP' }] } } };
    expect(() => trafficPort(recording as unknown as Recording)).toThrow(DemoError);
  });
});
