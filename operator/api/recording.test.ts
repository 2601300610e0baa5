import { describe, expect, it } from 'vitest';
import { RECORDING_API_VERSION, RECORDING_CRD_NAME, RecordingPhase, isRecording } from './recording.js';

describe('recording API', () => {
  it('should name the CRD after plural and group', () => {
    expect(RECORDING_CRD_NAME).toBe('recordings.tapedeck.dev');
    expect(RECORDING_API_VERSION).toBe('tapedeck.dev/v1alpha1');
  });

  it('should expose the status phases of the CRD as constants', () => {
    expect(Object.values(RecordingPhase)).toEqual([
      'Pending',
      'Scheduled',
      'Running',
      'Exporting',
      'Completed',
      'Failed',
      'Expired',
    ]);
  });

  it.each([
    [{ apiVersion: 'tapedeck.dev/v1alpha1', kind: 'Recording', metadata: {}, spec: {} }, true],
    [{ apiVersion: 'tapedeck.dev/v1beta1', kind: 'Recording' }, false],
    [{ apiVersion: 'v1', kind: 'Pod' }, false],
    [null, false],
    ['Recording', false],
  ])('should recognise %j as a Recording: %s', (value, expected) => {
    expect(isRecording(value)).toBe(expected);
  });
});
