/**
 * The request side of the EC2 Query protocol: a form-encoded body of `Action=...&Version=...` with
 * lists flattened as `RouteTableId.1`, `Filter.1.Name`, `Filter.1.Value.1`.
 */
import { Ec2Error } from './errors';

export interface Filter {
  readonly name: string;
  readonly values: readonly string[];
}

export class QueryParams {
  private readonly values: Map<string, string>;

  constructor(body: string) {
    this.values = new Map(new URLSearchParams(body));
  }

  get action(): string | undefined {
    return this.values.get('Action');
  }

  /** A scalar parameter. */
  get(name: string): string | undefined {
    return this.values.get(name);
  }

  /** A scalar parameter that must be present; AWS names it in camelCase in the error. */
  require(name: string): string {
    const value = this.values.get(name);
    if (value === undefined || value === '') {
      throw new Ec2Error(
        'MissingParameter',
        `The request must contain the parameter ${name[0]!.toLowerCase()}${name.slice(1)}`,
      );
    }
    return value;
  }

  /** A list parameter under any of `names` (the SDK uses `RouteTableId.N` or `TransitGatewayIds.N`). */
  list(...names: string[]): string[] {
    const found: Array<[number, string]> = [];
    for (const [key, value] of this.values) {
      for (const name of names) {
        const match = new RegExp(`^${name.replace('.', '\\.')}\\.(\\d+)$`).exec(key);
        if (match) found.push([Number(match[1]), value]);
      }
    }
    return found.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
  }

  filters(): Filter[] {
    const byIndex = new Map<number, { name?: string; values: Array<[number, string]> }>();
    for (const [key, value] of this.values) {
      const match = /^Filter\.(\d+)\.(Name|Value\.(\d+))$/.exec(key);
      if (!match) continue;
      const entry = byIndex.get(Number(match[1])) ?? { values: [] };
      if (match[2] === 'Name') entry.name = value;
      else entry.values.push([Number(match[3]), value]);
      byIndex.set(Number(match[1]), entry);
    }
    return [...byIndex.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, entry]) => {
        if (!entry.name) throw new Ec2Error('InvalidParameterValue', 'The filter Name must be specified.');
        return { name: entry.name, values: entry.values.sort((a, b) => a[0] - b[0]).map(([, v]) => v) };
      });
  }

  /**
   * True when the request narrows nothing: no `Filter.N`, no ID list (`RouteTableId.N`,
   * `TransitGatewayIds.N`, ...) and no `MaxResults`. EC2 throttles such Describe* calls with a bucket
   * of their own (local/models.ts).
   */
  isUnfilteredAndUnpaginated(): boolean {
    for (const key of this.values.keys()) {
      if (key === 'MaxResults' || key.startsWith('Filter.') || /^[A-Za-z]+Ids?\.\d+$/.test(key)) return false;
    }
    return true;
  }

  /** Every parameter value: what an injected fault scoped to a resource ID is matched against. */
  allValues(): string[] {
    return [...this.values.values()];
  }

  booleanParam(name: string): boolean {
    return this.values.get(name)?.toLowerCase() === 'true';
  }
}
