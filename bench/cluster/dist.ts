// Where the repository and its build output are, from bench/cluster (tsx) or build/bench/cluster.
import { join } from 'node:path';

const here = import.meta.dirname;
export const ROOT = join(here, '..', '..', ...(here.includes('/build/') ? ['..'] : []));
export const DIST = join(ROOT, 'dist');
