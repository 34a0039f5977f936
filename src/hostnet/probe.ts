// Connectivity probe after apply: ping a gateway from the configured namespace until it answers or
// the timeout passes. A probe failure makes apply roll back, like nmstate's gateway probe.
import { execFile } from 'node:child_process';
import type { NetnsRef } from '../kernel/types.js';

export type Prober = (ns: NetnsRef, gateway: string, timeoutMs: number) => Promise<boolean>;

const pingOnce = (ns: NetnsRef, gateway: string, waitS: number): Promise<boolean> => {
  const ping = ['ping', '-n', '-c', '1', '-W', String(waitS), gateway];
  const [cmd, ...args] = ns === null ? ping : ['nsenter', `--net=${ns}`, '--', ...ping];
  return new Promise((resolve) => {
    execFile(cmd as string, args, { timeout: (waitS + 2) * 1000 }, (err) => resolve(err === null));
  });
};

export const pingProbe: Prober = async (ns, gateway, timeoutMs) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    if (await pingOnce(ns, gateway, Math.max(1, Math.min(2, Math.floor(left / 1000))))) return true;
    if (Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  }
};
