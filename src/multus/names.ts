// The names and addresses a pod's network annotations may carry, by the rules Multus and the kernel
// apply: DNS-1123 names of networks and namespaces, interface names, hardware addresses.

/** DNS-1123 label, the rule Multus applies to namespace and network names of the comma form. */
export const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** DNS-1123 subdomain: what any Kubernetes object name is. Multus checks nothing in the JSON form;
 * a name outside this rule cannot name a NAD, so refusing it only spares a lookup (and keeps '/' and
 * '..' out of the local source's file names). */
export const OBJECT_NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IFNAMSIZ = 16;

/** Why an interface name is unusable, or undefined. Multus checks length, '/' and whitespace; the
 * kernel additionally refuses ':' and the names '.' and '..', so those are rejected up front too. */
export function interfaceNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > IFNAMSIZ - 1)
    return `is ${name.length} characters long, at most ${IFNAMSIZ - 1} are allowed`;
  if (/[\s/:]/.test(name)) return "contains '/', ':' or whitespace";
  if (name === '.' || name === '..') return "is '.' or '..'";
  return undefined;
}

// Go's net.ParseMAC: 6-, 8- or 20-byte addresses, colon/hyphen pairs or dot-separated quads.
export function isHardwareAddr(s: string): boolean {
  for (const n of [6, 8, 20]) {
    const pairs = `[0-9a-fA-F]{2}(?:[:][0-9a-fA-F]{2}){${n - 1}}|[0-9a-fA-F]{2}(?:-[0-9a-fA-F]{2}){${n - 1}}`;
    const quads = `[0-9a-fA-F]{4}(?:\\.[0-9a-fA-F]{4}){${n / 2 - 1}}`;
    if (new RegExp(`^(?:${pairs}|${quads})$`).test(s)) return true;
  }
  return false;
}
