// The status of the cluster tests' Recording as the operator would write it (through the status
// subresource, merge patch) and a Warning Event about it: a run still exporting on node-c, a gap on
// node-b, every node's manifest listed in status.artifacts.
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const coordinates = { group: 'tapedeck.dev', version: 'v1alpha1', plural: 'recordings' };

export interface CheckoutRun {
  namespace: string;
  uid: string;
  bucket: string;
  prefix: string;
  packets: number;
}

export async function writeCheckoutStatus(kc: KubeConfig, run: CheckoutRun): Promise<void> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const { namespace, uid, bucket, prefix, packets } = run;
  const uid8 = uid.replace(/-/g, '').slice(0, 8);
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const key = (node: string): string => `${prefix}/${namespace}/checkout/${uid8}/1/${node}/manifest.json`;
  await custom.patchNamespacedCustomObjectStatus(
    {
      ...coordinates,
      namespace,
      name: 'checkout',
      body: {
        status: {
          phase: 'Exporting',
          iteration: 1,
          nodesReady: '3/3',
          lastStartTime: now,
          totals: { packetsCaptured: packets, bytesCaptured: 61234, packetsLost: 4, bytesLost: 256 },
          conditions: [
            {
              type: 'Capturing',
              status: 'False',
              reason: 'Stopped',
              message: 'The iteration ended',
              lastTransitionTime: now,
            },
            {
              type: 'Exported',
              status: 'False',
              reason: 'UploadFailing',
              message: 'node-c: AccessDenied writing s3://cli-cluster/team/a',
              lastTransitionTime: now,
            },
          ],
          nodes: [
            { name: 'node-a', phase: 'Completed', packetsCaptured: 200, bytesCaptured: 20000, since: now },
            {
              name: 'node-b',
              phase: 'Completed',
              packetsCaptured: 300,
              bytesCaptured: 30000,
              packetsLost: 4,
              bytesLost: 256,
              gaps: [{ from: now, to: now, reason: 'agent restarted' }],
            },
            { name: 'node-c', phase: 'Exporting', packetsCaptured: 150, message: 'retrying upload in 8s' },
          ],
          artifacts: ['node-a', 'node-b', 'node-c'].map((node) => ({
            node,
            iteration: 1,
            format: 'manifest',
            url: `s3://${bucket}/${key(node)}`,
          })),
        },
      },
    },
    mergePatch,
  );
  await core.createNamespacedEvent({
    namespace,
    body: {
      metadata: { name: `checkout.${Date.now()}` },
      involvedObject: { apiVersion: 'tapedeck.dev/v1alpha1', kind: 'Recording', name: 'checkout', namespace, uid },
      reason: 'ExportRetrying',
      message: 'Export of node-c retrying',
      type: 'Warning',
      source: { component: 'tapedeck-operator' },
      firstTimestamp: new Date(),
      lastTimestamp: new Date(),
      count: 3,
    },
  });
}
