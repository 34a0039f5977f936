// An in-memory ClusterSource for domain-logic tests (no API server, no manifest files).
import type { ClusterSource, NetworkAttachmentDefinition, PodInfo } from '../../src/cluster/types.js';

export class FakeSource implements ClusterSource {
  readonly pods = new Map<string, PodInfo>();
  readonly nads = new Map<string, NetworkAttachmentDefinition>();
  readonly written: { namespace: string; name: string; annotations: Record<string, string> }[] = [];

  addPod(namespace: string, name: string, annotations: Record<string, string> = {}): PodInfo {
    const pod: PodInfo = { metadata: { name, namespace, uid: `uid-${name}`, annotations } };
    this.pods.set(`${namespace}/${name}`, pod);
    return pod;
  }

  /** `config`: object (stringified), string (as is) or undefined (empty spec). */
  addNad(
    namespace: string,
    name: string,
    config?: object | string,
    annotations?: Record<string, string>,
  ): void {
    const text =
      typeof config === 'string' ? config : config === undefined ? undefined : JSON.stringify(config);
    this.nads.set(`${namespace}/${name}`, {
      metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
      spec: text !== undefined ? { config: text } : {},
    });
  }

  async getPod(namespace: string, name: string) {
    return this.pods.get(`${namespace}/${name}`);
  }
  async getNamespace() {
    return undefined;
  }
  async getNode() {
    return undefined;
  }
  async getNetworkAttachmentDefinition(namespace: string, name: string) {
    return this.nads.get(`${namespace}/${name}`);
  }
  async listIPPools() {
    return [];
  }
  async listReservedIPs() {
    return [];
  }
  async setPodAnnotations(namespace: string, name: string, annotations: Record<string, string>) {
    this.written.push({ namespace, name, annotations });
  }
}
