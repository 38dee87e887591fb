// Preload (`node --import ./bench/module-log.mjs`): prints every ES module URL the process resolves
// to stderr, so a benchmark can tell which packages a command loads.
import { register } from 'node:module';

register('./module-log-hooks.mjs', import.meta.url);
