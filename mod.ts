/**
 * multi-extractor: train PPO crowd-navigation policies with several feature
 * extractors, compare them, and report which is best on which hardware.
 *
 * This module re-exports the public API of every library folder under `lib/`.
 *
 * @module
 */
export * from "./lib/rng/mod.ts";
export * from "./lib/sim/mod.ts";
export * from "./lib/workers/mod.ts";
