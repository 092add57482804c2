import assert from "node:assert/strict";
import { describeFailure, ExtractorWorkerError } from "../../../lib/train/mod.ts";

class ExtractorRunError extends Error {
  readonly reason: string;
  readonly hint: string;
  constructor(reason: string, hint: string) {
    super(`${reason} (hint: ${hint})`);
    this.name = "ExtractorRunError";
    this.reason = reason;
    this.hint = hint;
  }
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("did not throw");
}

Deno.test("describeFailure() keeps an ExtractorRunError's own reason and hint", () => {
  const failure = describeFailure(
    new ExtractorRunError("Loss became NaN at step 64", "lower run.ppo.learning_rate"),
    { extractor: "mlp_small" },
  );
  assert.deepEqual(failure, {
    kind: "extractor",
    reason: "Loss became NaN at step 64",
    hint: "lower run.ppo.learning_rate",
  });
});

Deno.test("describeFailure() recognises a real array buffer allocation failure as out of memory", () => {
  const error = thrown(() => new ArrayBuffer(2 ** 52));
  assert.ok(error instanceof RangeError);
  const failure = describeFailure(error, { extractor: "attention_large" });
  assert.equal(failure.kind, "out_of_memory");
  assert.match(failure.reason, /^out of memory: /);
  assert.match(failure.hint, /n_steps/);
  assert.match(failure.hint, /--only attention_large/);
});

Deno.test("describeFailure() names ONNX Runtime errors and gives other errors their class name", () => {
  const ort = describeFailure(
    new Error("Non-zero status code returned while running Conv node. Name:'conv1'\nmore"),
    { extractor: "cnn" },
  );
  assert.equal(ort.kind, "onnxruntime");
  assert.equal(
    ort.reason,
    "ONNX Runtime error: Non-zero status code returned while running Conv node. Name:'conv1'",
  );
  const other = describeFailure(new TypeError("x is undefined"), { extractor: "cnn" });
  assert.deepEqual(
    { kind: other.kind, reason: other.reason },
    { kind: "unexpected", reason: "TypeError: x is undefined" },
  );
  assert.match(other.hint, /run\.log\.jsonl/);
  assert.equal(describeFailure("plain text", { extractor: "cnn" }).reason, "Error: plain text");
});

Deno.test("describeFailure() reports a crashed extractor worker with a hint to train it alone or in the main thread", () => {
  const failure = describeFailure(
    new ExtractorWorkerError("mlp_small", "Uncaught Error: boom (file:///x.ts:3)"),
    { extractor: "mlp_small" },
  );
  assert.deepEqual(
    { kind: failure.kind, reason: failure.reason },
    {
      kind: "worker_crashed",
      reason: "Extractor worker of mlp_small crashed: Uncaught Error: boom (file:///x.ts:3)",
    },
  );
  assert.match(failure.hint, /--only mlp_small --verbose/);
  assert.match(failure.hint, /run\.parallel_extractors: 1/);
});
