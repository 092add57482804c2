/**
 * Native allocator settings for ONNX Runtime's outputs, applied once per process when
 * the first session is created (onnxruntime-node, and with it ONNX Runtime's library, is
 * loaded by then: the library is not loaded twice).
 *
 * onnxruntime-node's binding copies every output of every `run` into a fresh
 * ArrayBuffer (js/node/src/inference_session_wrap.cc, `InferenceSessionWrap::Run`
 * calls `OrtValueToNapiValue` for each output), also when the caller passed
 * preallocated outputs, as lib/nn/training.ts does. A training step returns the
 * parameters and both Adam moments: 3 x 274 KB for mlp_small's 68,525 parameters on
 * every minibatch. glibc's malloc serves blocks above its mmap threshold with fresh
 * mappings, and gives the top of its heap back to the system above its trim threshold;
 * with V8 freeing these buffers at each young-generation collection (a 1 MB
 * semi-space: every few minibatches), the next buffers fault their pages in again.
 * Measured on uni_campus_big (docs/benchmarks.md): mlp_small's minibatch update took
 * 2.8-3.3 ms for the first two or three updates of a run instead of 0.5 ms, with
 * 200,000 minor page faults per 8,192 steps instead of 22,000.
 *
 * Here glibc's `mallopt(3)` raises the mmap threshold to 32 MiB (its maximum on 64-bit)
 * and the trim threshold to 64 MiB, so those blocks are reused from the heap. The
 * function is reached through ONNX Runtime's own shared library (in node_modules, so
 * within `--allow-ffi=node_modules`): `dlsym` on a library handle also searches the
 * libraries it depends on, among them libc. Nothing is changed on other systems, when
 * the library is not found, without ffi permission for it, or when the environment
 * variable `MULTI_EXTRACTOR_NATIVE_ALLOCATOR` is `default` (to measure the difference).
 * Results do not depend on it: only where buffers come from.
 *
 * @module
 */
/** Environment variable that keeps the allocator's defaults when set to `default`. */
export const NATIVE_ALLOCATOR_VARIABLE = "MULTI_EXTRACTOR_NATIVE_ALLOCATOR";

/** glibc `M_TRIM_THRESHOLD` (malloc.h). */
const M_TRIM_THRESHOLD = -1;
/** glibc `M_MMAP_THRESHOLD` (malloc.h). */
const M_MMAP_THRESHOLD = -3;
/** Blocks up to this size come from the heap (glibc's maximum on 64-bit systems). */
export const MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024;
/** Free memory at the top of the heap is given back to the system above this size. */
export const TRIM_THRESHOLD_BYTES = 64 * 1024 * 1024;

/** What {@linkcode tuneNativeAllocator} did. */
export interface NativeAllocatorTuning {
  /** Whether both thresholds were set. */
  applied: boolean;
  /** Why not, when not applied. */
  reason?: string;
  /** The shared library `mallopt` was reached through. */
  library?: string;
}

let _done: NativeAllocatorTuning | null = null;

/** Whether a permission is granted, without prompting. */
function _granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

/** ONNX Runtime's shared library of onnxruntime-node on this Linux host, or null. */
function _ortLibrary(): string | null {
  const arch = Deno.build.arch === "x86_64" ? "x64" : Deno.build.arch === "aarch64" ? "arm64" : "";
  if (arch === "") return null;
  let bin: URL;
  try {
    // .../onnxruntime-node/dist/index.js -> .../onnxruntime-node/bin/
    bin = new URL("../bin/", import.meta.resolve("onnxruntime-node"));
  } catch {
    return null;
  }
  if (bin.protocol !== "file:" || !_granted({ name: "read", path: bin })) return null;
  try {
    for (const napi of Deno.readDirSync(bin)) {
      const path = new URL(`${napi.name}/linux/${arch}/libonnxruntime.so.1`, bin).pathname;
      try {
        if (Deno.statSync(path).isFile) return path;
      } catch {
        // not in this N-API directory
      }
    }
  } catch {
    // no bin directory, or no read permission
  }
  return null;
}

/**
 * Raise glibc's mmap and trim thresholds once per process (see the module comment).
 * Never throws; later calls return the first call's outcome.
 *
 * @returns Whether the thresholds were set, and why not.
 */
export function tuneNativeAllocator(): NativeAllocatorTuning {
  _done ??= (() => {
    if (Deno.build.os !== "linux") return { applied: false, reason: "not Linux" };
    const variable = NATIVE_ALLOCATOR_VARIABLE;
    if (_granted({ name: "env", variable }) && Deno.env.get(variable) === "default") {
      return { applied: false, reason: `${NATIVE_ALLOCATOR_VARIABLE}=default` };
    }
    const library = _ortLibrary();
    if (library === null) return { applied: false, reason: "ONNX Runtime library not found" };
    try {
      if (!_granted({ name: "ffi", path: library })) {
        return { applied: false, reason: "no ffi permission for it", library };
      }
      const lib = Deno.dlopen(library, {
        mallopt: { parameters: ["i32", "i32"], result: "i32" },
      });
      try {
        const ok = lib.symbols.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) === 1 &&
          lib.symbols.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) === 1;
        return ok
          ? { applied: true, library }
          : { applied: false, reason: "mallopt refused the settings", library };
      } finally {
        lib.close();
      }
    } catch (error) {
      return { applied: false, reason: (error as Error).message, library };
    }
  })();
  return _done;
}
