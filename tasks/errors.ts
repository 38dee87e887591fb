/**
 * Named errors of the failover workflow. Each `name` is also an `ErrorEquals` string in the state
 * machine, so the names are an API: the constants below are used on both sides. `name` is set
 * explicitly because bundlers minify class names.
 */

export const ErrorName = {
  InvalidRequest: 'InvalidRequest',
  UnknownNode: 'UnknownNode',
  PreconditionFailed: 'PreconditionFailed',
  Superseded: 'Superseded',
  RouteUpdateFailed: 'RouteUpdateFailed',
  RegionUnreachable: 'RegionUnreachable',
  NotConverged: 'NotConverged',
  NotReady: 'NotReady',
} as const;
export type ErrorName = (typeof ErrorName)[keyof typeof ErrorName];

/** The execution input or a task input does not fit the contract; nothing was read or written. */
export class InvalidRequestError extends Error {
  override name = ErrorName.InvalidRequest;
}

/** The execution names a node that the deployed topology does not know. */
export class UnknownNodeError extends Error {
  override name = ErrorName.UnknownNode;
}

/** A resource the target depends on is not usable (ENI, instance, attachment, peering, table). */
export class PreconditionFailedError extends Error {
  override name = ErrorName.PreconditionFailed;
}

/** A newer run of the same cluster has started; this run must not write anything more. */
export class SupersededError extends Error {
  override name = ErrorName.Superseded;
}

/** At least one route write failed with an error that retrying will not fix. */
export class RouteUpdateFailedError extends Error {
  override name = ErrorName.RouteUpdateFailed;
}

/** The EC2 API of a region could not be reached within the retry budget. */
export class RegionUnreachableError extends Error {
  override name = ErrorName.RegionUnreachable;
  constructor(
    readonly region: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The traced routes do not (yet) reach the active node. */
export class NotConvergedError extends Error {
  override name = ErrorName.NotConverged;
}

/** A drill found that a failover to its target would not work; the message lists every reason. */
export class NotReadyError extends Error {
  override name = ErrorName.NotReady;
}

/** One problem found in a topology file, with where it is. */
export interface TopologyProblem {
  /** Dotted path inside the document, e.g. `vpcs.vpc-b.region`; empty for the whole file. */
  readonly path: string;
  /** 1-based line in the YAML source, when the source gives one. */
  readonly line?: number;
  readonly message: string;
}

/** A topology file is malformed, dangling or inconsistent. Carries every problem found. */
export class TopologyError extends Error {
  override name = 'TopologyError';
  constructor(
    readonly source: string,
    readonly problems: readonly TopologyProblem[],
  ) {
    super(
      `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n` +
        problems
          .map((p) => `  ${p.line ? `line ${p.line}: ` : ''}${p.path || '(file)'}: ${p.message}`)
          .join('\n'),
    );
  }
}
