/**
 * Seeded, checkpointable random numbers used everywhere randomness appears.
 *
 * @module
 */
export { SeededRng } from "./seeded_rng.ts";
export type { SeededRngState } from "./seeded_rng.ts";
