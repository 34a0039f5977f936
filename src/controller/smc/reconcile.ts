// Keeps one NetworkAttachmentDefinition per SpiderMultusConfig: created with an owner reference to
// the SMC (the API server's GC removes it with the SMC), re-created when deleted by hand, rewritten
// when the SMC changes. A same-named NAD we do not own is someone else's: it is left alone.
import { type Clients, httpStatus } from '../../cluster/kubernetes/client.js';
import { NAD } from '../../cluster/kubernetes/source.js';
import { type Fence, guard } from '../fence.js';
import { SMC, type Smc, smcToNad, UnsupportedSmc } from './generate.js';

interface RawNad {
  metadata: {
    name: string;
    namespace: string;
    annotations?: Record<string, string>;
    ownerReferences?: { uid?: string; controller?: boolean }[];
    [k: string]: unknown;
  };
  spec?: { config?: string };
}

type Log = (event: string, fields?: Record<string, unknown>) => void;

export interface SmcPass {
  created: string[];
  updated: string[];
  /** NADs of an SMC's name that another owner holds. */
  foreign: string[];
  unsupported: string[];
}

const same = (a: Record<string, string> | undefined, b: Record<string, string>) =>
  JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b).sort());

export async function reconcileSmcs(c: Clients, fence: Fence, log: Log): Promise<SmcPass> {
  const out: SmcPass = { created: [], updated: [], foreign: [], unsupported: [] };
  let list: { items?: Smc[] };
  try {
    list = (await c.custom.listClusterCustomObject({ ...SMC })) as { items?: Smc[] };
  } catch (err) {
    // The SpiderMultusConfig CRD is optional: without it there is nothing to generate.
    if (httpStatus(err) === 404) return out;
    throw err;
  }
  for (const smc of list.items ?? []) {
    const { name, namespace, uid } = smc.metadata;
    const key = `${namespace}/${name}`;
    if ((smc.metadata as { deletionTimestamp?: string }).deletionTimestamp !== undefined) continue;
    let want: ReturnType<typeof smcToNad>;
    try {
      want = smcToNad(smc);
    } catch (err) {
      if (!(err instanceof UnsupportedSmc)) throw err;
      out.unsupported.push(key);
      log('spidermultusconfig not generated', { smc: key, reason: err.message });
      continue;
    }
    const owner = {
      apiVersion: `${SMC.group}/${SMC.version}`,
      kind: 'SpiderMultusConfig',
      name,
      uid,
      controller: true,
      blockOwnerDeletion: true,
    };
    let have: RawNad | undefined;
    try {
      have = (await c.custom.getNamespacedCustomObject({ ...NAD, namespace, name })) as RawNad;
    } catch (err) {
      if (httpStatus(err) !== 404) throw err;
    }
    try {
      if (have === undefined) {
        guard(fence, `creating NetworkAttachmentDefinition ${key}`);
        await c.custom.createNamespacedCustomObject({
          ...NAD,
          namespace,
          body: {
            apiVersion: `${NAD.group}/${NAD.version}`,
            kind: 'NetworkAttachmentDefinition',
            metadata: { name, namespace, annotations: want.annotations, ownerReferences: [owner] },
            spec: { config: want.config },
          },
        });
        out.created.push(key);
        continue;
      }
      if (!(have.metadata.ownerReferences ?? []).some((o) => o.controller === true && o.uid === uid)) {
        out.foreign.push(key);
        log('networkattachmentdefinition not owned by its spidermultusconfig: left alone', { smc: key });
        continue;
      }
      if (have.spec?.config === want.config && same(have.metadata.annotations, want.annotations)) continue;
      guard(fence, `updating NetworkAttachmentDefinition ${key}`);
      await c.custom.replaceNamespacedCustomObject({
        ...NAD,
        namespace,
        name,
        body: {
          ...have,
          metadata: { ...have.metadata, annotations: want.annotations },
          spec: { config: want.config },
        },
      });
      out.updated.push(key);
    } catch (err) {
      // Someone else wrote meanwhile: the next pass sees their version.
      if (httpStatus(err) !== 409 && httpStatus(err) !== 404) throw err;
    }
  }
  return out;
}
