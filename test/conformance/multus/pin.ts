// The peers this suite is held against. Every case names the upstream file (and test) it was
// derived from; the cases are our own words and code, written from reading those tests.
//   k8snetworkplumbingwg/multus-cni                         95a0932350f0060cd232096876e24672a1de83fa (master, 2026-08-20)
//   k8snetworkplumbingwg/network-attachment-definition-client 46fcc4112dcb9af0b277dc85fec8178acbddd5ab (master)
export const MULTUS = 'multus-cni@95a0932350f0060cd232096876e24672a1de83fa';
export const NAD_CLIENT = 'network-attachment-definition-client@46fcc4112dcb9af0b277dc85fec8178acbddd5ab';

/** Test title: our behaviour, then where it comes from. */
export const cite = (what: string, from: string) => `${what} [${from}]`;
