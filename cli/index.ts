/** vipctl's entry point: the only place that exits the process. */
import { createInterface } from 'node:readline/promises';
import { run } from './program';

// Monitor scripts keep vipctl's stderr in their logs; the SDK's notice about Node.js 20 support would
// be repeated in every one of them. Setting the variable to false brings it back.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const io = {
  stdout: process.stdout,
  stderr: process.stderr,
  isTTY: process.stdout.isTTY === true,
  env: process.env,
  cwd: process.cwd(),
  async confirm(question: string): Promise<boolean> {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
    } finally {
      rl.close();
    }
  },
  untilSignal(): Promise<string> {
    return new Promise((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve(signal);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};

// No top-level await: the same entry is bundled as CommonJS for a single executable (scripts/package.mjs).
void run(process.argv.slice(2), io).then((code) => {
  // Let piped output drain before exiting.
  process.exitCode = code;
  if (process.stdout.writableNeedDrain) process.stdout.once('drain', () => process.exit(code));
  else process.exit(code);
});
