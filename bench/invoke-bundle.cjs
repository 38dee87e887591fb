// A fresh process that loads the bundled task function and invokes it once, like a Lambda cold start:
// prints {"loadMs", "invokeMs"} as JSON. Argument: the bundle path; stdin: the event.
const { readFileSync } = require('node:fs');

const event = JSON.parse(readFileSync(0, 'utf8'));
const t0 = performance.now();
const { handler } = require(process.argv[2]);
const loaded = performance.now();
handler(event).then(
  () => {
    const done = performance.now();
    process.stdout.write(JSON.stringify({ loadMs: loaded - t0, invokeMs: done - loaded }));
  },
  (error) => {
    process.stderr.write(String(error?.stack ?? error));
    process.exitCode = 1;
  },
);
