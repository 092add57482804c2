/**
 * multi-extractor: train PPO crowd-navigation policies with several feature
 * extractors, compare them, and report which is best on which hardware.
 *
 * This module re-exports the public API of every library folder under `lib/`.
 *
 * @module
 */
export * from "./lib/rng/mod.ts";
/**
 * The tensor engine, as a namespace (its op names such as `add` and `mean` would
 * collide with other modules' helpers).
 */
export * as nn from "./lib/nn/mod.ts";
