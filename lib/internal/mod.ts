/**
 * Helpers the library folders share, each written once: atomic file writes, JSON
 * with sorted keys, reading environment variables under permissions, the configured
 * JSON Schema validator, mean and standard deviation. Internal: not part of the
 * published API (the root mod.ts does not re-export it).
 *
 * @module
 */
export { createAjv } from "./ajv.ts";
export {
  removeStaleTempFiles,
  writeFileAtomic,
  writeJsonFileAtomic,
  writeTextFileAtomic,
} from "./atomic_write.ts";
export type { AtomicData, AtomicJsonOptions, AtomicWriteOptions } from "./atomic_write.ts";
export { readEnv } from "./env.ts";
export { stableJson } from "./stable_json.ts";
export { mean, meanOrNull, std } from "./stats.ts";
