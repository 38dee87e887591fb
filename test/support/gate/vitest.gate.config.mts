import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../../../', import.meta.url).pathname,
    include: ['test/support/gate/*.gate.ts'],
    reporters: ['default', './test/support/skip-reporter.ts'],
  },
});
