import { start } from '../cni/snapshot.js';
import { coordinator, preloadCoordinator, processRegistry } from '../plugins/registry.js';

start('trunkline-coordinator', () => processRegistry({ 'trunkline-coordinator': coordinator }), [
  preloadCoordinator,
]);
