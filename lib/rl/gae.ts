/**
 * Generalized Advantage Estimation.
 *
 * @module
 */

/** Options for {@linkcode computeGae}. */
export interface GaeOptions {
  /** Discount factor gamma. @default 0.99 */
  gamma?: number;
  /** GAE lambda (1 gives Monte-Carlo returns, 0 one-step TD). @default 0.95 */
  gaeLambda?: number;
}

/** Inputs of {@linkcode computeGae}, all laid out `[n_steps, num_envs]` row-major. */
export interface GaeInputs {
  /** Number of environments stepped side by side. */
  numEnvs: number;
  /** Reward received after the action at each step (already bootstrapped on truncation). */
  rewards: Float32Array;
  /** Value estimate V(s_t) of the observation the action was taken from. */
  values: Float32Array;
  /** 1 where the observation at that step is the first of an episode, else 0. */
  episodeStarts: Float32Array;
  /** V(s_T) of the observation after the last stored step, one per env `[num_envs]`. */
  lastValues: Float32Array;
  /** 1 where the last stored step ended its episode, one per env `[num_envs]`. */
  lastDones: Float32Array | Uint8Array;
}

/**
 * Compute GAE(lambda) advantages and TD(lambda) returns in place, with the same order
 * of operations as Stable-Baselines3's `RolloutBuffer.compute_returns_and_advantage`
 * (stable_baselines3/common/buffers.py; Schulman et al. 2016, "High-Dimensional
 * Continuous Control Using Generalized Advantage Estimation", arXiv:1506.02438):
 *
 * ```
 * delta_t = r_t + gamma * V(s_{t+1}) * (1 - done_{t+1}) - V(s_t)
 * A_t = delta_t + gamma * lambda * (1 - done_{t+1}) * A_{t+1}
 * R_t = A_t + V(s_t)
 * ```
 *
 * Time-limit truncation is handled by the caller, which adds gamma * V(terminal
 * observation) to the reward of the truncated step, as SB3 does.
 *
 * @param inputs Rollout data, `[n_steps, num_envs]`.
 * @param advantages Output `[n_steps, num_envs]`.
 * @param returns Output `[n_steps, num_envs]`.
 * @param options Discount and lambda.
 * @throws {RangeError} When array lengths disagree.
 */
export function computeGae(
  inputs: GaeInputs,
  outputs: { advantages: Float32Array; returns: Float32Array },
  options: GaeOptions = {},
): void {
  const gamma = options.gamma ?? 0.99;
  const gaeLambda = options.gaeLambda ?? 0.95;
  const { numEnvs, rewards, values, episodeStarts, lastValues, lastDones } = inputs;
  const { advantages, returns } = outputs;
  const total = rewards.length;
  if (
    numEnvs < 1 || total % numEnvs !== 0 || values.length !== total ||
    episodeStarts.length !== total || advantages.length !== total || returns.length !== total
  ) {
    throw new RangeError(
      `GAE inputs must all have n_steps * num_envs entries (got rewards ${total}, values ${values.length}, episodeStarts ${episodeStarts.length}, num_envs ${numEnvs})`,
    );
  }
  if (lastValues.length !== numEnvs || lastDones.length !== numEnvs) {
    throw new RangeError(
      `lastValues and lastDones must have num_envs = ${numEnvs} entries (got ${lastValues.length} and ${lastDones.length})`,
    );
  }
  const nSteps = total / numEnvs;
  for (let env = 0; env < numEnvs; env++) {
    let lastGaeLam = 0;
    for (let step = nSteps - 1; step >= 0; step--) {
      const index = step * numEnvs + env;
      let nextNonTerminal: number;
      let nextValue: number;
      if (step === nSteps - 1) {
        nextNonTerminal = 1 - lastDones[env];
        nextValue = lastValues[env];
      } else {
        nextNonTerminal = 1 - episodeStarts[index + numEnvs];
        nextValue = values[index + numEnvs];
      }
      const delta = rewards[index] + gamma * nextValue * nextNonTerminal - values[index];
      lastGaeLam = delta + gamma * gaeLambda * nextNonTerminal * lastGaeLam;
      advantages[index] = lastGaeLam;
      returns[index] = lastGaeLam + values[index];
    }
  }
}
