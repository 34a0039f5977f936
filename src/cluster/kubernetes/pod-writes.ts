// What the meta plugin writes about a pod: its network-status annotation (pods/status, as Multus's
// SetNetworkStatus) and the AddedInterface events.
import { CniError, Code, tryAgainLater } from '../../cni/errors.js';
import { log } from '../../cni/log.js';
import { isStaticPod, PodGoneError } from '../pod.js';
import type { PodEvent, PodInfo } from '../types.js';
import { apiFailure, type Clients, httpStatus, sleep, withTimeout } from './client.js';
import { toPod } from './convert.js';

/** Events name the component that emitted them (Multus: "multus"). */
const EVENT_COMPONENT = 'trunkline';
const EVENT_TIMEOUT_MS = 2000;

/** GET + update of pods/status, retried on 409 Conflict with a fresh GET (Multus's SetNetworkStatus). */
export async function setPodAnnotations(
  c: Clients,
  limits: { timeoutMs: number; retries: number },
  namespace: string,
  name: string,
  annotations: Record<string, string>,
  opts: { uid?: string } = {},
): Promise<void> {
  const what = `updating annotations of pod ${namespace}/${name}`;
  for (let attempt = 1; ; attempt++) {
    try {
      const pod = await withTimeout(
        c.core.readNamespacedPod({ namespace, name }),
        limits.timeoutMs,
        what,
        c.server,
      );
      const m = pod.metadata ?? {};
      const info = toPod(pod, namespace);
      if (opts.uid !== undefined && m.uid !== opts.uid && !isStaticPod(info)) {
        throw new CniError(
          Code.IoFailure,
          `${what}: expected pod UID ${opts.uid} but the API has ${m.uid} (pod was recreated)`,
        );
      }
      pod.metadata = { ...m, annotations: { ...(m.annotations ?? {}), ...annotations } };
      await withTimeout(
        c.core.replaceNamespacedPodStatus({ namespace, name, body: pod }),
        limits.timeoutMs,
        what,
        c.server,
      );
      return;
    } catch (err) {
      if (httpStatus(err) === 409 && attempt < limits.retries) {
        await sleep(10 * (0.9 + Math.random() * 0.2));
        continue;
      }
      if (httpStatus(err) === 409)
        throw tryAgainLater(`${what}: still conflicting after ${attempt} attempts`);
      if (httpStatus(err) === 404) throw new PodGoneError(`${namespace}/${name}`, what);
      throw apiFailure(err, what, c.server);
    }
  }
}

/**
 * A core/v1 Event on the pod, shaped as client-go's recorder makes it (Multus emits through one).
 * Best effort: a failure is logged, never thrown; at most EVENT_TIMEOUT_MS of the caller's time.
 */
export async function recordPodEvent(
  api: () => Promise<Clients>,
  timeoutMs: number,
  pod: PodInfo,
  event: PodEvent,
): Promise<void> {
  const { namespace, name, uid, resourceVersion } = pod.metadata;
  const now = new Date();
  const body = {
    apiVersion: 'v1',
    kind: 'Event',
    // client-go names events <object>.<unix nanoseconds in hex>; two attachments may share a millisecond.
    metadata: {
      name: `${name}.${(BigInt(now.getTime()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n)).toString(16)}`,
      namespace,
    },
    involvedObject: {
      apiVersion: 'v1',
      kind: 'Pod',
      namespace,
      name,
      ...(uid !== undefined ? { uid } : {}),
      ...(resourceVersion !== undefined ? { resourceVersion } : {}),
    },
    reason: event.reason,
    message: event.message,
    type: event.type,
    source: { component: EVENT_COMPONENT },
    reportingComponent: EVENT_COMPONENT,
    reportingInstance: '',
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
  try {
    const c = await api();
    await withTimeout(
      c.core.createNamespacedEvent({ namespace, body }),
      Math.min(timeoutMs, EVENT_TIMEOUT_MS),
      `recording event ${event.reason} on pod ${namespace}/${name}`,
      c.server,
    );
  } catch (err) {
    log('warn', 'could not record pod event', {
      pod: `${namespace}/${name}`,
      reason: event.reason,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
