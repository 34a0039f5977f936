// Keeps one NetworkAttachmentDefinition per SpiderMultusConfig, named as Spiderpool names it (the
// `multus.spidernet.io/cr-name` annotation, else the SMC's name): created with a controller owner
// reference to the SMC (the API server's garbage collector removes it with the SMC), re-created when
// deleted by hand, rewritten when the SMC changes. A NAD of that name we do not own is someone
// else's: it is left alone (Spiderpool would take it over; Trunkline never adopts). One SMC at a
// time (reconcileSmc, driven by watch events in watch.ts) or all of them (the periodic resync).
import { type Clients, httpStatus } from '../../cluster/kubernetes/client.js';
import { NAD } from '../../cluster/kubernetes/source.js';
import { type Fence, guard } from '../fence.js';
import { nadNameOf, SMC, type Smc, smcToNad, UnsupportedSmc } from './generate.js';

export interface RawNad {
  metadata: {
    name: string;
    namespace: string;
    deletionTimestamp?: unknown;
    annotations?: Record<string, string>;
    ownerReferences?: { kind?: string; name?: string; uid?: string; controller?: boolean }[];
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

export const emptyPass = (): SmcPass => ({ created: [], updated: [], foreign: [], unsupported: [] });

const same = (a: Record<string, string> | undefined, b: Record<string, string>) =>
  JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b).sort());

/** The SMC (namespace/name) that controls a NAD, if one does. */
export function controllingSmc(nad: RawNad): string | undefined {
  const ref = (nad.metadata.ownerReferences ?? []).find(
    (o) => o.controller === true && o.kind === 'SpiderMultusConfig',
  );
  return ref?.name !== undefined ? `${nad.metadata.namespace}/${ref.name}` : undefined;
}

export async function getNad(c: Clients, namespace: string, name: string): Promise<RawNad | undefined> {
  try {
    return (await c.custom.getNamespacedCustomObject({ ...NAD, namespace, name })) as RawNad;
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw err;
  }
}

/** Brings one SMC's NAD (`have`: its current state, undefined when absent) to what the SMC says. */
export async function reconcileSmc(
  c: Clients,
  fence: Fence,
  log: Log,
  smc: Smc,
  have: RawNad | undefined,
  out: SmcPass,
): Promise<void> {
  const { namespace, uid } = smc.metadata;
  const name = nadNameOf(smc);
  const key = `${namespace}/${name}`;
  if ((smc.metadata as { deletionTimestamp?: string }).deletionTimestamp !== undefined) return;
  let want: ReturnType<typeof smcToNad>;
  try {
    want = smcToNad(smc);
  } catch (err) {
    if (!(err instanceof UnsupportedSmc)) throw err;
    out.unsupported.push(`${namespace}/${smc.metadata.name}`);
    log('spidermultusconfig not generated', {
      smc: `${namespace}/${smc.metadata.name}`,
      reason: err.message,
    });
    return;
  }
  const owner = {
    apiVersion: `${SMC.group}/${SMC.version}`,
    kind: 'SpiderMultusConfig',
    name: smc.metadata.name,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
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
      return;
    }
    if (!(have.metadata.ownerReferences ?? []).some((o) => o.controller === true && o.uid === uid)) {
      out.foreign.push(key);
      log('networkattachmentdefinition not owned by its spidermultusconfig: left alone', { smc: key });
      return;
    }
    // Being deleted (the old SMC's cascade): the next event, its DELETED, brings us back.
    if (have.metadata.deletionTimestamp != null) return;
    if (have.spec?.config === want.config && same(have.metadata.annotations, want.annotations)) return;
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
    // Someone else wrote meanwhile: their write's event (or the next resync) brings us back.
    if (httpStatus(err) !== 409 && httpStatus(err) !== 404) throw err;
  }
}

/** Every SMC against every NAD: two lists, then only the writes that are needed. */
export async function reconcileSmcs(c: Clients, fence: Fence, log: Log): Promise<SmcPass> {
  const out = emptyPass();
  let smcs: { items?: Smc[] };
  try {
    smcs = (await c.custom.listClusterCustomObject({ ...SMC })) as { items?: Smc[] };
  } catch (err) {
    // The SpiderMultusConfig CRD is optional: without it there is nothing to generate.
    if (httpStatus(err) === 404) return out;
    throw err;
  }
  const nads = (await c.custom.listClusterCustomObject({ ...NAD })) as { items?: RawNad[] };
  const byKey = new Map((nads.items ?? []).map((n) => [`${n.metadata.namespace}/${n.metadata.name}`, n]));
  for (const smc of smcs.items ?? [])
    await reconcileSmc(c, fence, log, smc, byKey.get(`${smc.metadata.namespace}/${nadNameOf(smc)}`), out);
  return out;
}
