// The cluster-source contract on the Kubernetes sources against the test API server: the direct one
// (every read a request) and the watch-backed one the agent uses.
import { CachedKubernetesSource } from '../../../src/cluster/kubernetes/cached.js';
import { KubernetesSource } from '../../../src/cluster/kubernetes/source.js';
import { startKubeApiServer } from '../../kube-apiserver/server.js';
import { clusterSourceContract } from '../contract.js';

clusterSourceContract('Kubernetes API, direct', async (objects) => {
  const api = await startKubeApiServer();
  api.seed(objects);
  return { source: new KubernetesSource({ kubeconfig: api.kubeconfigPath }), close: () => api.stop() };
});

clusterSourceContract('Kubernetes API, watch-backed cache', async (objects) => {
  const api = await startKubeApiServer();
  api.seed(objects);
  const source = new CachedKubernetesSource({ kubeconfig: api.kubeconfigPath, nodeName: 'node-a' });
  source.start();
  await source.whenSynced();
  return {
    source,
    close: async () => {
      await source.stop();
      await api.stop();
    },
  };
});
