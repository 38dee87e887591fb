/**
 * Seeded randomness for tests. A test that draws random numbers takes them from here, so a failure can
 * be replayed: the seed is printed when the test fails, and `TEST_SEED=<seed>` reruns with it.
 */
import { randomInt } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { onTestFailed } from 'vitest';

export interface Seeded {
  readonly seed: number;
  /** Uniform in [0, 1), like Math.random. */
  readonly random: () => number;
}

/** The seed from TEST_SEED, or a fresh one. */
export function pickSeed(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.TEST_SEED;
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isSafeInteger(seed)) throw new Error(`TEST_SEED must be an integer, got '${given}'`);
    return seed;
  }
  return randomInt(0, 2 ** 31);
}

/** A generator from `seed`, same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  const rng = xoroshiro128plus(seed);
  return () => uniformFloat64(rng);
}

/**
 * A seeded generator for the running test; its seed is printed if the test fails. Call it inside a
 * test (or a hook of one).
 */
export function seededForTest(seed: number = pickSeed()): Seeded {
  onTestFailed(() => {
    console.error(`random seed of the failed test: ${seed} (rerun with TEST_SEED=${seed})`);
  });
  return { seed, random: seededRandom(seed) };
}
