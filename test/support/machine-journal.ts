/**
 * The suite must leave the machine's journal of direct runs alone. Every test and every process a test
 * starts journals into a temporary directory (VIPCTL_JOURNAL: test/setup.ts, and the harnesses' cleanEnv
 * and baseEnv for child processes); a record in /var/lib/tgw-vip-failover/runs would be listed by the
 * operator's `vipctl runs` as if a cluster node had failed over. test/setup.ts fails a test file during
 * which anything was written there, naming the new files.
 */
import { readdirSync, statSync } from 'node:fs';

/** cli/program.ts's default journal directory, written out here: the guard does not import the product. */
export const MACHINE_JOURNAL = '/var/lib/tgw-vip-failover/runs';

/** `name -> mtime` of the directory's entries; empty when it does not exist or cannot be read. */
export function listJournal(dir: string = MACHINE_JOURNAL): Map<string, number> {
  const entries = new Map<string, number>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return entries;
  }
  for (const name of names) {
    try {
      entries.set(name, statSync(`${dir}/${name}`).mtimeMs);
    } catch {
      // removed between readdir and stat: not ours to judge
    }
  }
  return entries;
}

/** Entries that are new or rewritten in `after`. */
export function writtenSince(before: Map<string, number>, after: Map<string, number>): string[] {
  return [...after].filter(([name, mtime]) => before.get(name) !== mtime).map(([name]) => name);
}

/** The failure of a test file during which something wrote into the machine's journal, or undefined. */
export function journalWrites(
  before: Map<string, number>,
  after: Map<string, number> = listJournal(),
): Error | undefined {
  const written = writtenSince(before, after);
  if (written.length === 0) return undefined;
  return new Error(
    `${written.length} record(s) appeared in the machine's journal ${MACHINE_JOURNAL} while this file ran: ${written.join(', ')}. ` +
      "A test (or a process it starts) ran vipctl without VIPCTL_JOURNAL or --journal: give it the test's own directory " +
      '(test/e2e/local-harness.ts cleanEnv, test/reliability/harness.ts baseEnv), then delete these files.',
  );
}
