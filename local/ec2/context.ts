/** What an EC2 action is given: the region's world, the account and the models (stale reads). */
import type { LocalModels } from '../models';
import type { RegionWorld } from '../world';
import type { QueryParams } from './query';
import type { XmlObject } from './xml';

export interface ActionContext {
  readonly region: string;
  readonly account: string;
  readonly world: RegionWorld;
  readonly models: LocalModels;
  /** The account that owns a resource (local/accounts.ts). @default the caller's account */
  readonly ownerOf?: (id: string) => string;
}

export type Ec2Action = (params: QueryParams, context: ActionContext) => XmlObject;
