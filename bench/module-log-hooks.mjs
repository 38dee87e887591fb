// Module hooks of module-log.mjs; they run off the main thread, so they write to fd 2 directly.
import { writeSync } from 'node:fs';

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  writeSync(2, `[module] ${result.url}\n`);
  return result;
}
