// Tests never reach the instance metadata service or a real AWS account.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../local/polyfills';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

// Direct runs are journaled; a test never reads or writes the machine's own journal
// (/var/lib/tgw-vip-failover/runs), which `vipctl runs` would otherwise list. Child processes inherit it.
process.env.VIPCTL_JOURNAL ??= mkdtempSync(join(tmpdir(), 'vipctl-journal-'));
