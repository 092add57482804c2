/**
 * Full gradient checks (lib/nn `checkGradients`: autodiff against central finite
 * differences in float64) of each preset's whole policy network, with respect to
 * both observation inputs and every parameter tensor, in eval mode and in train
 * mode (dropout masks drawn, batch statistics). attention_large is checked with
 * small dimensions through parameter overrides (the same code path). lstm_small is
 * checked whole: its 816-step recurrence is one Scan forward and one reverse Scan backward.
 */
import { concat, DropoutMaskGenerator, type GradCheckFeed, Graph } from "../../../lib/nn/mod.ts";
import { SeededRng } from "../../../lib/rng/mod.ts";
import type { PresetName } from "../../../lib/config/presets.ts";
import { buildPolicyNetwork } from "../../../lib/rl/policy_network.ts";
import { checkGradients, type Tensor } from "../../../lib/nn/mod.ts";
import { assertGradOk } from "../nn/_helpers.ts";
import { newStore, observationFeeds } from "./_fixture.ts";

const BATCH = 2;

const CASES: [string, PresetName, Record<string, unknown>][] = [
  ["dynamics_original", "dynamics_original", {}],
  ["dynamics_no_conv", "dynamics_no_conv", {}],
  ["mlp_small", "mlp_small", {}],
  ["mlp_large", "mlp_large", {}],
  ["attention_small", "attention_small", {}],
  ["attention_large (embed 8, 2 heads, 2 layers)", "attention_large", {
    embed_dim: 8,
    num_heads: 2,
    num_layers: 2,
  }],
  ["lightweight_cnn", "lightweight_cnn", {}],
  ["lstm_small", "lstm_small", {}],
];

/** Dropout masks of the train-mode graph, drawn with the real rates. */
function drawMasks(preset: PresetName, parameters: Record<string, unknown>) {
  const g = new Graph({ training: true, dtype: "float64", parameters: newStore() });
  buildPolicyNetwork(g, { preset, parameters });
  const generator = new DropoutMaskGenerator(new SeededRng(21));
  const masks: Record<string, GradCheckFeed> = {};
  for (const m of g.dropoutMasks) {
    const shape = m.shape.map((d) => (d === "batch" ? BATCH : d as number));
    const data = new Float64Array(shape.reduce((a, b) => a * b, 1));
    generator.fill(data, m.p);
    masks[m.name] = { data, shape };
  }
  return masks;
}

for (const [label, preset, parameters] of CASES) {
  // lstm_small has neither dropout nor batch norm: its train-mode graph is its eval-mode one.
  for (const training of preset === "lstm_small" ? [false] : [false, true]) {
    Deno.test(`${label} policy passes a float64 gradient check in ${training ? "train" : "eval"} mode`, async () => {
      const obs = observationFeeds(BATCH, 17);
      const report = await checkGradients(
        (g) => {
          const p = buildPolicyNetwork(g, { preset, parameters });
          const wrt: Record<string, Tensor> = { rays: p.rays, drive_state: p.driveState };
          for (const [name, t] of g.stateTensors) {
            if (t.node.leaf!.kind === "parameter") wrt[name] = t;
          }
          // Both heads (log_std is a free parameter: its gradient here is zero).
          return { output: concat([p.actionMean, p.value], { axis: 1 }), wrt };
        },
        {
          rays: { data: obs.rays, shape: [BATCH, 3, 272] },
          drive_state: { data: obs.drive_state, shape: [BATCH, 3, 5] },
        },
        {
          training,
          masks: training ? drawMasks(preset, parameters) : undefined,
          parameters: newStore(31),
          maxElements: preset.startsWith("attention") ? 3 : 6,
        },
      );
      assertGradOk(report);
    });
  }
}
