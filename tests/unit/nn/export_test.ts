/**
 * ONNX export: eval-mode graph with initializers, named inputs/outputs, outputs
 * equal to the inference model's, valid for onnx.checker (full check) when
 * Debian's python3-onnx is installed.
 */
import assert from "node:assert/strict";
import { SeededRng } from "../../../lib/rng/mod.ts";
import {
  createInferenceModel,
  createTrainingStep,
  exportModel,
  type Graph,
  ParameterStore,
  Session,
  writeOnnx,
} from "../../../lib/nn/mod.ts";
import { onnx } from "../../../lib/nn/_onnx.ts";
import * as ort from "onnxruntime-node";
import { ppoLoss } from "../../../lib/rl/ppo_loss.ts";
import { buildPolicyNetwork } from "../../../lib/rl/policy_network.ts";
import type { PresetName } from "../../../lib/config/presets.ts";
import { assertClose } from "./_helpers.ts";

function policyOutputs(preset: PresetName) {
  return (g: Graph) => {
    const p = buildPolicyNetwork(g, { preset: preset });
    return { action_mean: p.actionMean, value: p.value, log_std: p.logStd };
  };
}

async function trainedStore(preset: PresetName): Promise<ParameterStore> {
  // A few real updates so the exported weights are not just the initial ones.
  const store = new ParameterStore(new SeededRng(3));
  const step = await createTrainingStep(
    (g) => ppoLoss(g, buildPolicyNetwork(g, { preset: preset })),
    {
      parameters: store,
      maxGradNorm: 0.5,
      adam: { eps: 1e-5 },
    },
  );
  const rng = new SeededRng(4);
  const f = (dims: number[]) => ({
    data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.uniform()),
    dims,
  });
  const feeds = {
    rays: f([8, 3, 272]),
    drive_state: f([8, 3, 5]),
    actions: f([8, 2]),
    old_log_prob: f([8]),
    advantages: f([8]),
    returns: f([8]),
  };
  for (let i = 0; i < 3; i++) await step.run(feeds, { learningRate: 1e-3 });
  step.copyTo(store);
  await step.release();
  return store;
}

const python = await (async () => {
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", "import onnx; print(onnx.__version__)"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
})();

for (const preset of ["dynamics_original", "mlp_small"] as const) {
  Deno.test(`exported ${preset} policy equals the inference model and has named inputs/outputs`, async () => {
    const store = await trainedStore(preset);
    const exported = exportModel(policyOutputs(preset), {
      parameters: store,
      metadata: { preset },
    });
    const decoded = onnx.ModelProto.decode(exported.bytes);
    assert.deepEqual(decoded.graph!.input!.map((i) => i.name), ["rays", "drive_state"]);
    assert.deepEqual(decoded.graph!.output!.map((o) => o.name), [
      "action_mean",
      "value",
      "log_std",
    ]);
    assert.equal(Number(decoded.opsetImport![0].version), 17);
    assert.ok(decoded.metadataProps!.some((p) => p.key === "preset" && p.value === preset));
    // No dropout masks or state inputs in an exported model.
    assert.ok(!decoded.graph!.node!.some((n) => n.opType === "Dropout"));
    const rng = new SeededRng(5);
    const batch = 5;
    const rays = Float32Array.from({ length: batch * 816 }, () => rng.uniform());
    const drive = Float32Array.from({ length: batch * 15 }, () => rng.uniformRange(-1, 1));
    // A plain ONNX Runtime session on the exported bytes.
    const session = await Session.create(exported.bytes);
    const r = await session.run({
      rays: new ort.Tensor("float32", rays, [batch, 3, 272]),
      drive_state: new ort.Tensor("float32", drive, [batch, 3, 5]),
    });
    await session.release();
    const model = await createInferenceModel(policyOutputs(preset), { parameters: store });
    const m = await model.run({
      rays: { data: rays, dims: [batch, 3, 272] },
      drive_state: { data: drive, dims: [batch, 3, 5] },
    });
    await model.release();
    for (const name of ["action_mean", "value", "log_std"]) {
      assertClose(r[name].data as Float32Array, m[name], { rtol: 1e-5, atol: 1e-7, label: name });
    }
    assertClose(r.log_std.data as Float32Array, store.values("log_std"), {
      rtol: 1e-7,
      label: "log_std",
    });
  });

  Deno.test(
    `exported ${preset} policy passes onnx.checker.check_model(full_check=True)`,
    { ignore: !python },
    async () => {
      const store = await trainedStore(preset);
      const dir = await Deno.makeTempDir();
      try {
        const path = `${dir}/policy.onnx`;
        await writeOnnx(path, exportModel(policyOutputs(preset), { parameters: store }));
        const out = await new Deno.Command("/usr/bin/python3", {
          args: [
            "-c",
            "import sys, onnx; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print('ok')",
            path,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.ok(out.success, new TextDecoder().decode(out.stderr));
        assert.equal(new TextDecoder().decode(out.stdout).trim(), "ok");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
}

Deno.test(
  "training-step models also pass onnx.checker.check_model(full_check=True)",
  { ignore: !python },
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      for (const preset of ["dynamics_original", "mlp_small"] as const) {
        const step = await createTrainingStep(
          (g) => ppoLoss(g, buildPolicyNetwork(g, { preset: preset })),
          {
            parameters: new ParameterStore(new SeededRng(1)),
            maxGradNorm: 0.5,
          },
        );
        const path = `${dir}/${preset}_train.onnx`;
        await writeOnnx(path, step.model);
        await step.release();
        const out = await new Deno.Command("/usr/bin/python3", {
          args: [
            "-c",
            "import sys, onnx; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)",
            path,
          ],
          stderr: "piped",
        }).output();
        assert.ok(out.success, new TextDecoder().decode(out.stderr));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

if (!python) {
  console.log(
    "Skipping onnx.checker tests: /usr/bin/python3 with the onnx module is not available",
  );
}
