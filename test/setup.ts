// Tests never reach the instance metadata service or a real AWS account.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import '../local/polyfills';
import { journalWrites, listJournal } from './support/machine-journal';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

// Direct runs are journaled; a test never reads or writes the machine's own journal
// (/var/lib/tgw-vip-failover/runs), which `vipctl runs` would otherwise list. Child processes inherit it.
process.env.VIPCTL_JOURNAL ??= mkdtempSync(join(tmpdir(), 'vipctl-journal-'));

// ...and a file fails when anything (a child process with an environment of its own included) wrote there.
const machineJournal = listJournal();
afterAll(() => {
  const written = journalWrites(machineJournal);
  if (written) throw written;
});
