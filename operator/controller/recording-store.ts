// Reads and writes of Recordings and their Events through the API server: status
// only through the /status subresource with a JSON merge patch (strategic merge
// patch is not supported for custom resources), finalizers with a merge patch
// guarded by resourceVersion, Events as core/v1 Events.
import { ApiException, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { RECORDING_API_VERSION, RECORDING_GROUP, RECORDING_PLURAL, RECORDING_VERSION } from '../api/recording.js';
import type { RecordingStatus, RecordingView } from './recording-view.js';
import type { RecordingEvent } from './status-extras.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const coords = { group: RECORDING_GROUP, version: RECORDING_VERSION, plural: RECORDING_PLURAL };

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

export function isConflict(error: unknown): boolean {
  return error instanceof ApiException && error.code === 409;
}

/** A JSON merge patch turning `from` into `to` at the top level (removed keys become null). */
export function mergePatchOf(from: object, to: object): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...to };
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  return patch;
}

export class RecordingStore {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly component = 'tapedeck-operator',
    private readonly instance = 'tapedeck-operator',
  ) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  async get(namespace: string, name: string): Promise<RecordingView | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ ...coords, namespace, name })) as RecordingView;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async list(namespace?: string): Promise<{ items: RecordingView[]; metadata?: { resourceVersion?: string } }> {
    const list =
      namespace === undefined
        ? await this.custom.listClusterCustomObject(coords)
        : await this.custom.listNamespacedCustomObject({ ...coords, namespace });
    return list as { items: RecordingView[]; metadata?: { resourceVersion?: string } };
  }

  /**
   * Writes status, conditional on the resourceVersion the status was computed from: a replica acting on
   * a stale copy gets 409 Conflict (and reconciles again) instead of overwriting newer status.
   */
  async patchStatus(recording: RecordingView, status: RecordingStatus): Promise<RecordingView> {
    const body = {
      metadata: { resourceVersion: recording.metadata.resourceVersion },
      status: mergePatchOf(recording.status ?? {}, status),
    };
    return (await this.custom.patchNamespacedCustomObjectStatus(
      { ...coords, namespace: recording.metadata.namespace ?? '', name: recording.metadata.name ?? '', body },
      mergePatch,
    )) as RecordingView;
  }

  /** Replaces metadata.finalizers; fails with 409 if the object changed meanwhile. */
  async setFinalizers(recording: RecordingView, finalizers: string[]): Promise<RecordingView> {
    const body = { metadata: { finalizers, resourceVersion: recording.metadata.resourceVersion } };
    return (await this.custom.patchNamespacedCustomObject(
      { ...coords, namespace: recording.metadata.namespace ?? '', name: recording.metadata.name ?? '', body },
      mergePatch,
    )) as RecordingView;
  }

  async recordEvent(recording: RecordingView, event: RecordingEvent, now = new Date()): Promise<void> {
    const namespace = recording.metadata.namespace ?? 'default';
    await this.core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { generateName: `${recording.metadata.name ?? 'recording'}.`, namespace },
        involvedObject: {
          apiVersion: RECORDING_API_VERSION,
          kind: 'Recording',
          name: recording.metadata.name ?? '',
          namespace,
          uid: recording.metadata.uid ?? '',
          resourceVersion: recording.metadata.resourceVersion ?? '',
        },
        type: event.type,
        reason: event.reason,
        message: event.message.slice(0, 1024),
        source: { component: this.component },
        reportingComponent: this.component,
        reportingInstance: this.instance,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  }
}
