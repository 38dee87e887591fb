/**
 * `node --import ./bench/peak-rss.mjs ...`: at exit, writes the process's peak resident set size in KiB
 * (process.resourceUsage().maxRSS) to the file named by BENCH_PEAK_RSS_FILE.
 */
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  const file = process.env.BENCH_PEAK_RSS_FILE;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS));
});
