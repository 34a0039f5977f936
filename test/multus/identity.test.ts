// Pod identity: Kubernetes runtimes pass namespace and name; podman passes K8S_POD_NAME alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCniArgs } from '../../src/cni/args.js';
import { argsWithNamespace, podIdentity } from '../../src/plugins/meta/identity.js';

describe('meta plugin: pod identity', () => {
  it('namespace and name from the runtime win; the name alone is looked up in podNamespace', () => {
    const k8s = podIdentity(parseCniArgs('K8S_POD_NAMESPACE=a;K8S_POD_NAME=p;K8S_POD_UID=u'), 'default');
    assert.deepEqual(k8s, { ref: { namespace: 'a', name: 'p', uid: 'u' }, assumed: false });
    const podman = podIdentity(parseCniArgs('IgnoreUnknown=1;K8S_POD_NAME=web-1'), 'lab');
    assert.deepEqual(podman, { ref: { namespace: 'lab', name: 'web-1' }, assumed: true });
    assert.deepEqual(podIdentity(parseCniArgs('IgnoreUnknown=1'), 'default'), { assumed: false });
  });

  it('delegates see the assumed namespace so their IPAM finds the same pod', () => {
    const id = podIdentity(parseCniArgs('IgnoreUnknown=1;K8S_POD_NAME=web-1'), 'default');
    assert.equal(
      argsWithNamespace('IgnoreUnknown=1;K8S_POD_NAME=web-1', id),
      'IgnoreUnknown=1;K8S_POD_NAME=web-1;K8S_POD_NAMESPACE=default',
    );
    const k8s = podIdentity(parseCniArgs('K8S_POD_NAMESPACE=a;K8S_POD_NAME=p'), 'default');
    assert.equal(
      argsWithNamespace('K8S_POD_NAMESPACE=a;K8S_POD_NAME=p', k8s),
      'K8S_POD_NAMESPACE=a;K8S_POD_NAME=p',
    );
  });
});
