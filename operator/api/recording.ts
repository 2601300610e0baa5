// The Recording API (tapedeck.dev/v1alpha1) as the operator sees it: where it is served and the
// types of its objects. The types are generated from crds/recording.yaml (npm run
// generate:crd-types); this file adds the coordinates and what the schema cannot express.
import type { V1ListMeta } from '@kubernetes/client-node';
import type { Recording } from './generated/recording.js';

export * from './generated/recording.js';

export const RECORDING_GROUP = 'tapedeck.dev';
export const RECORDING_VERSION = 'v1alpha1';
export const RECORDING_API_VERSION = `${RECORDING_GROUP}/${RECORDING_VERSION}`;
export const RECORDING_KIND = 'Recording';
export const RECORDING_LIST_KIND = 'RecordingList';
export const RECORDING_PLURAL = 'recordings';
export const RECORDING_SINGULAR = 'recording';
export const RECORDING_SHORT_NAME = 'rec';
/** Name of the CustomResourceDefinition object. */
export const RECORDING_CRD_NAME = `${RECORDING_PLURAL}.${RECORDING_GROUP}`;

/** Condition types the operator sets in status.conditions. */
export const RecordingConditionType = {
  Scheduled: 'Scheduled',
  Capturing: 'Capturing',
  Exported: 'Exported',
  Ready: 'Ready',
} as const;
export type RecordingConditionType = (typeof RecordingConditionType)[keyof typeof RecordingConditionType];

/** What a list call returns. */
export interface RecordingList {
  apiVersion: string;
  kind: string;
  metadata: V1ListMeta;
  items: Recording[];
}

/** Narrows a decoded object (from a watch or a list) to a Recording by its apiVersion and kind. */
export function isRecording(value: unknown): value is Recording {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const object = value as { apiVersion?: unknown; kind?: unknown };
  return object.apiVersion === RECORDING_API_VERSION && object.kind === RECORDING_KIND;
}
