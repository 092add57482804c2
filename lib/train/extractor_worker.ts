/**
 * Train one extractor in its own Deno Worker (`run.parallel_extractors` > 1): the
 * worker runs trainExtractor under extractor-worker permissions (read of
 * code, configs, maps and node_modules; write only its extractor directory; ffi only
 * node_modules; no net, run, sys or env), and the main thread keeps the manifest:
 * the worker's events are appended here, in the order it sends them, and what it
 * logs is logged here (console and run log).
 *
 * @module
 */
import { emitForwardedLog } from "../log/mod.ts";
import type { ExecutionProviderProbe } from "../nn/session.ts";
import { extractorWorkerPermissions, spawnWorker } from "../workers/permissions.ts";
import type { TrainExtractorOptions, TrainExtractorResult } from "./train_extractor.ts";
import {
  type _FromExtractorWorker,
  _fromWire,
  type _ToExtractorWorker,
  _toWire,
} from "./_extractor_protocol.ts";

/** Entry module of the suite's extractor workers. */
export const EXTRACTOR_WORKER_MODULE: URL = new URL("./_extractor_worker.ts", import.meta.url);

/**
 * An extractor worker stopped without reporting a result: an uncaught error or
 * unhandled rejection in it, or a message that could not be read. The extractor is
 * recorded as failed; other extractors go on.
 */
export class ExtractorWorkerError extends Error {
  /** The extractor the worker trained. */
  readonly extractor: string;

  /**
   * Create a ExtractorWorkerError.
   * @param extractor Extractor name.
   * @param message What happened in the worker.
   */
  constructor(extractor: string, message: string) {
    super(`Extractor worker of ${extractor} crashed: ${message}`);
    this.name = "ExtractorWorkerError";
    this.extractor = extractor;
  }
}

/** Options of {@linkcode trainExtractorInWorker}. */
export interface ExtractorWorkerOptions extends Omit<TrainExtractorOptions, "vecEnvFactory"> {
  /**
   * Vectorized mode: step the training envs in a WorkerVecEnv with this many env
   * workers (started by the extractor worker, env-worker permissions); null trains on
   * lib/sim's in-thread VecEnv.
   * @default null
   */
  envWorkers?: number | null;
  /**
   * The main thread's execution provider probe, so that the worker does not probe
   * again; null lets the worker probe when it needs to.
   * @default null
   */
  executionProviders?: ExecutionProviderProbe | null;
  /**
   * Entry module of the worker (it must speak the extractor worker protocol).
   * @default EXTRACTOR_WORKER_MODULE
   */
  workerModule?: URL;
}

/**
 * Train one extractor with trainExtractor in a new Worker started through
 * spawnWorker with extractorWorkerPermissions(extractorDir) (plus read of the
 * scenario's map file). Manifest events, progress and the result come back as
 * messages; `signal` reaches the worker, which stops at its next safe point, writes a
 * checkpoint and returns an interrupted result. The worker is terminated when it is
 * done. Results are bitwise those of trainExtractor in the main thread.
 *
 * @example Train the first extractor of a scenario in a worker
 * ```ts
 * const result = await trainExtractorInWorker({
 *   profile: scenario.extractors[0], settings: scenario.settings,
 *   extractorDir: "/tmp/run/extractors/mlp_small", runDir: "/tmp/run", manifest,
 * });
 * ```
 *
 * @param options trainExtractor's options, env workers, provider probe, worker module.
 * @returns trainExtractor's result.
 * @throws {Error} What trainExtractor threw in the worker, rebuilt with its name,
 * message, and ExtractorRunError's reason, hint and step.
 * @throws {ExtractorWorkerError} When the worker crashed.
 * @throws {Deno.errors.NotCapable} When this process lacks a permission the worker gets.
 */
export function trainExtractorInWorker(
  options: ExtractorWorkerOptions,
): Promise<TrainExtractorResult> {
  const name = options.profile.name;
  const mapPath = options.settings.env.map_path;
  const worker = spawnWorker(
    options.workerModule ?? EXTRACTOR_WORKER_MODULE,
    extractorWorkerPermissions(options.extractorDir, {
      mapPaths: mapPath === null ? [] : [mapPath],
    }),
    { name: `extractor ${name}` },
  );
  const send = (message: _ToExtractorWorker) => worker.postMessage(message);
  const onAbort = () => send({ type: "abort" });
  return new Promise<TrainExtractorResult>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener("abort", onAbort);
      worker.terminate();
      outcome();
    };
    worker.onmessage = async (event: MessageEvent<_FromExtractorWorker>) => {
      const m = event.data;
      if (m.type === "manifest") {
        try {
          await options.manifest?.append(m.event);
          if (!settled) send({ type: "manifest-done", id: m.id });
        } catch (error) {
          if (!settled) send({ type: "manifest-failed", id: m.id, error: _toWire(error) });
        }
      } else if (m.type === "log") {
        emitForwardedLog(m.record);
      } else if (m.type === "progress") {
        options.onProgress?.(m.progress);
      } else if (m.type === "done") {
        settle(() => resolve(m.result));
      } else if (m.type === "failed") {
        settle(() => reject(_fromWire(m.error)));
      }
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault(); // keep the main thread alive
      const where = event.filename ? ` (${event.filename}:${event.lineno})` : "";
      settle(() => reject(new ExtractorWorkerError(name, `${event.message}${where}`)));
    };
    worker.onmessageerror = () => {
      settle(() => reject(new ExtractorWorkerError(name, "a message from it could not be read")));
    };
    options.signal?.addEventListener("abort", onAbort);
    send({
      type: "start",
      profile: options.profile,
      settings: options.settings,
      extractorDir: options.extractorDir,
      runDir: options.runDir,
      resumeFrom: options.resumeFrom ?? null,
      envWorkers: options.envWorkers ?? null,
      progress: options.onProgress !== undefined,
      prefetchMasks: options.prefetchMasks ?? true,
      executionProviders: options.executionProviders ?? null,
    });
    if (options.signal?.aborted) onAbort();
  });
}
