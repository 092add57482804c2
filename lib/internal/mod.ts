/**
 * Helpers the library folders share, each written once: atomic file writes, JSON
 * with sorted keys, reading environment variables under permissions, the configured
 * JSON Schema validator, mean and standard deviation; checked reads of input files,
 * containment of run directories (no symbolic link followed), refusing and escaping
 * control characters. Internal: not part of the
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
export {
  checkInputFile,
  DEFAULT_INPUT_LIMITS,
  INPUT_LIMIT_ENV,
  InputFileError,
  inputLimit,
  readInputFile,
  readInputText,
} from "./input_file.ts";
export type { InputFileKind, InputFileOptions, InputFileProblem } from "./input_file.ts";
export {
  assertNoSymlinks,
  assertNoSymlinksBelow,
  guardDirectory,
  mkdirNoFollow,
  UnsafePathError,
} from "./safe_path.ts";
export {
  consoleSafe,
  escapeControlCharacters,
  escapeControlCharactersButNewlines,
  firstControlCharacter,
} from "./control_chars.ts";
