/**
 * The `attention` family (robot_sf `AttentionFeatureExtractor`, presets
 * attention_small and attention_large).
 *
 * Source: robot_sf at commit 77c3131,
 * `robot_sf/feature_extractors/attention_extractor.py`; scaled dot-product
 * attention after Vaswani et al. 2017, "Attention is all you need".
 *
 * @module
 */
import {
  add,
  concat,
  dropout,
  type LayerInit,
  layerNorm,
  linear,
  matmul,
  mul,
  reduceMean,
  relu,
  reshape,
  softmax,
  type Tensor,
  transpose,
} from "../nn/mod.ts";
import type { ExtractorParameters } from "../config/presets.ts";
import { _mlpBranch, _staticDim } from "./_blocks.ts";
import type { ExtractorInputs, ResolvedBuildOptions } from "./types.ts";

/**
 * Build an attention extractor.
 *
 * Rays `[batch, 3, 272]` are transposed to a sequence of 272 rays with 3 values
 * each, embedded per ray by `Linear(3 -> embed_dim) -> LayerNorm -> ReLU ->
 * Dropout`, then `num_layers` times `x = LayerNorm(x + SelfAttention(x))`, then
 * averaged over the rays (`[batch, embed_dim]`). Drive state: flattened (15)
 * through `Linear -> ReLU -> Dropout` per width of `drive_hidden_dims`. Output:
 * rays part then drive part (attention_small 32 + 16 = 48, attention_large
 * 128 + 16 = 144).
 *
 * SelfAttention: four separate `nn.Linear(embed, embed)` projections (query, key,
 * value, output_proj, so SB3's orthogonal init reaches all four),
 * `softmax(Q Kᵀ / sqrt(head_dim))` per head, Dropout on the attention weights
 * `[batch, heads, 272, 272]`, weights times V, heads concatenated, output
 * projection. No dropout on the residual branch.
 *
 * Modules: `<name>.ray_embedding.0` (Linear), `.1` (LayerNorm);
 * `<name>.attention_layers.<i>.{query,key,value,output_proj}`;
 * `<name>.layer_norms.<i>`; `<name>.drive_state_extractor.{1,4,...}`.
 *
 * @param inputs Observation tensors.
 * @param parameters Resolved attention parameters.
 * @param options Name prefix and Linear initialisation.
 * @returns Features `[batch, features_dim]`.
 * @throws {RangeError} When embed_dim is not divisible by num_heads.
 */
export function buildAttentionExtractor(
  inputs: ExtractorInputs,
  parameters: Readonly<ExtractorParameters>,
  options: ResolvedBuildOptions,
): Tensor {
  const embed = parameters.embed_dim as number;
  const heads = parameters.num_heads as number;
  const layers = parameters.num_layers as number;
  const p = parameters.dropout_rate as number;
  if (embed % heads !== 0) {
    throw new RangeError(
      `Attention extractor: embed_dim (${embed}) must be divisible by num_heads (${heads})`,
    );
  }
  const name = options.name;
  const init = options.linearInit;
  let x = transpose(inputs.rays, [0, 2, 1]); // [batch, rays, stack]
  x = linear(x, { name: `${name}.ray_embedding.0`, outFeatures: embed, init });
  x = dropout(relu(layerNorm(x, { name: `${name}.ray_embedding.1` })), p);
  for (let i = 0; i < layers; i++) {
    const attended = _selfAttention(x, `${name}.attention_layers.${i}`, heads, p, init);
    x = layerNorm(add(x, attended), { name: `${name}.layer_norms.${i}` });
  }
  const rays = reduceMean(x, { axes: [1] }); // AdaptiveAvgPool1d(1) over the rays
  const drive = _mlpBranch(inputs.driveState, {
    name: `${name}.drive_state_extractor`,
    widths: parameters.drive_hidden_dims as number[],
    dropoutRate: p,
    init,
  });
  return concat([rays, drive], { axis: 1 });
}

/** Multi-head self-attention of x `[batch, L, E]` -> `[batch, L, E]`. */
function _selfAttention(
  x: Tensor,
  name: string,
  heads: number,
  p: number,
  init: LayerInit,
): Tensor {
  const batch = x.shape[0];
  const length = _staticDim(x, 1, "Attention extractor: the number of rays");
  const embed = _staticDim(x, 2, "Attention extractor: embed_dim");
  const headDim = embed / heads;
  const project = (module: string) =>
    linear(x, { name: `${name}.${module}`, outFeatures: embed, init });
  // [batch, L, E] -> [batch, heads, L, head_dim]
  const split = (t: Tensor) => transpose(reshape(t, [batch, length, heads, headDim]), [0, 2, 1, 3]);
  const q = split(project("query"));
  const k = split(project("key"));
  const v = split(project("value"));
  const scores = mul(matmul(q, transpose(k, [0, 1, 3, 2])), 1 / Math.sqrt(headDim));
  const weights = dropout(softmax(scores, { axis: -1 }), p); // [batch, heads, L, L]
  const context = reshape(transpose(matmul(weights, v), [0, 2, 1, 3]), [batch, length, embed]);
  return linear(context, { name: `${name}.output_proj`, outFeatures: embed, init });
}
