/**
 * Entry module of an extractor worker: trains one extractor with lib/rl's
 * trainExtractor on a `start` message and reports the result. It holds no manifest
 * writer: its manifest events go to the main thread, which appends them and
 * answers; what it logs goes to the main thread's logging; `abort` stops training at
 * the next safe point with a checkpoint.
 * Started by `trainExtractorInWorker` with extractor-worker permissions.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { setupForwardedLogging } from "../log/mod.ts";
import { primeExecutionProviderProbe } from "../nn/session.ts";
import type { ManifestEventInput, ManifestSink } from "../run/manifest.ts";
import { trainExtractor } from "./train_extractor.ts";
import { _workerVecEnvFactory } from "./_env_factory.ts";
import {
  type _FromExtractorWorker,
  _fromWire,
  type _StartMessage,
  type _ToExtractorWorker,
  _toWire,
} from "./_extractor_protocol.ts";

const controller = new AbortController();
const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
let nextId = 0;
let started = false;

function post(message: _FromExtractorWorker): void {
  self.postMessage(message);
}

/** Manifest events travel to the main thread; append() resolves once they are on disk. */
const manifest: ManifestSink = {
  append(event: ManifestEventInput): Promise<void> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      post({ type: "manifest", id, event });
    });
  },
};

async function train(m: _StartMessage): Promise<void> {
  if (m.executionProviders !== null) primeExecutionProviderProbe(m.executionProviders);
  try {
    await setupForwardedLogging((record) => post({ type: "log", record }));
    const result = await trainExtractor({
      profile: m.profile,
      settings: m.settings,
      extractorDir: m.extractorDir,
      runDir: m.runDir,
      manifest,
      signal: controller.signal,
      resumeFrom: m.resumeFrom ?? undefined,
      vecEnvFactory: m.envWorkers === null ? undefined : _workerVecEnvFactory(m.envWorkers),
      prefetchMasks: m.prefetchMasks,
      onProgress: m.progress ? (progress) => post({ type: "progress", progress }) : undefined,
    });
    post({ type: "done", result });
  } catch (error) {
    post({ type: "failed", error: _toWire(error) });
  }
}

self.onmessage = (event: MessageEvent<_ToExtractorWorker>) => {
  const m = event.data;
  if (m.type === "start") {
    if (started) return;
    started = true;
    void train(m);
  } else if (m.type === "abort") {
    controller.abort(new DOMException("Training interrupted", "AbortError"));
  } else if (m.type === "manifest-done" || m.type === "manifest-failed") {
    const waiter = pending.get(m.id);
    pending.delete(m.id);
    if (m.type === "manifest-done") waiter?.resolve();
    else waiter?.reject(_fromWire(m.error));
  }
};
