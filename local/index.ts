/**
 * Local AWS, the public surface: start the server, and the types that drive it programmatically.
 * `vipctl local`, the end-to-end tests and the benchmarks import from here.
 */
export {
  EC2_DOCUMENTED_BUCKETS,
  type Fault,
  LocalModels,
  type LocalStats,
  type ModelPatch,
  type ModelSettings,
  type Profile,
  SFN_DOCUMENTED_BUCKETS,
} from './models';
export { seedWorld } from './seed';
export { type LocalAws, type LocalAwsOptions, ORIGIN_HEADER, startLocalAws } from './server';
export { LocalWorld, type RouteRecord } from './world';
