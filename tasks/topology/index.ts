/** The topology file (`cluster.yaml`), DESIGN section 3: schema, loader and cross-checks. */
export * from './schema';
