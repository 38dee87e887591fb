/** vipctl's global options (`--config`, `--endpoint-url`, `--json`, …): plain data, imported by every layer. */
/** The global options after parsing: `config` is an absolute path. */
export interface GlobalOptions {
  readonly config: string;
  readonly endpointUrl?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly json: boolean;
  readonly debug: boolean;
  readonly color: boolean;
  /** Directory of the direct runs' journal (absolute). */
  readonly journal: string;
}
