/**
 * What every command receives: the process it runs in (`io`), the global options, the outside
 * world it may use (`deps`), and printing helpers that respect `--json` and colour.
 * Imports only types, so `cli/program.ts` stays free of the AWS SDK.
 */
import { hostname, networkInterfaces } from 'node:os';
import type { Topology } from '../../tasks/topology';
import type { Observation } from '../../tasks/world';
import type { AwsClients } from '../aws/clients';
import { colourWanted, createStyle, type Style } from '../render/style';
import type { GlobalOptions } from './globals';
import type { InterfaceLister } from './host-addresses';
import type { CliIo } from './io';

/** Reads every VIP route and resource state of a topology. The real one is `readWorld` of tasks/ec2/read-world.ts. */
export type WorldReader = (clients: AwsClients, topology: Topology) => Promise<Observation>;

/** The outside world beyond AWS clients. Tests replace the clock and the sleeper. */
export interface CliDeps {
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** Who asks for a run (`ExecutionInput.requestedBy`). */
  readonly requestedBy: string;
  /** Overrides how routes are read; by default tasks/ec2/read-world.ts `readWorld` through the EC2 clients. */
  readonly readWorld?: WorldReader;
  /** This host's network interfaces, for `check --active self`'s question whether the VIP is here. */
  readonly networkInterfaces: InterfaceLister;
  /** Called by a direct run before each of its steps (tests order a concurrent writer with it). */
  readonly beforeDirectStep?: (step: string) => Promise<void>;
}

export const defaultDeps = (env: Record<string, string | undefined>): CliDeps => ({
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  requestedBy: `vipctl ${env.USER ?? env.USERNAME ?? 'unknown'}@${hostname()}`.slice(0, 128),
  networkInterfaces,
});

export interface CommandContext {
  readonly io: CliIo;
  readonly globals: GlobalOptions;
  readonly deps: CliDeps;
  readonly style: Style;
  /** A line for people on stdout; silent with `--json`. */
  print(line?: string): void;
  /** A line on stderr: progress, warnings, notes. */
  note(line: string): void;
  /** The machine-readable result on stdout: only with `--json`. */
  printJson(value: unknown): void;
}

export function createContext(io: CliIo, globals: GlobalOptions, deps: CliDeps): CommandContext {
  return {
    io,
    globals,
    deps,
    style: createStyle(colourWanted(io.isTTY, globals.color, io.env)),
    print: (line = '') => {
      if (!globals.json) io.stdout.write(`${line}\n`);
    },
    note: (line) => io.stderr.write(`${line}\n`),
    printJson: (value) => {
      if (globals.json) io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}
