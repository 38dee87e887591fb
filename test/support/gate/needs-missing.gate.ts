// Run only by test/support/requirements.test.ts, through vitest.gate.config.mts.
import { expect } from 'vitest';
import { commands, itRequires } from '../requirements';

itRequires([commands(['tvf-no-such-tool'], ['tvf-no-such-package'])])(
  'needs a tool this machine lacks',
  () => {
    expect(true).toBe(true);
  },
);
