// Preloaded into a vipctl child process by the reliability tests: reports its peak memory on exit.
process.on('exit', () => {
  process.stderr.write(`\nvipctl-maxrss-kb=${process.resourceUsage().maxRSS}\n`);
});
