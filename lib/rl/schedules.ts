/**
 * Learning-rate schedules with Stable-Baselines3 semantics: a function of the
 * remaining progress, which falls from 1 at the start of training to 0 at the end.
 *
 * @module
 */

/** Schedule kinds accepted in `run.ppo.lr_schedule`. */
export type ScheduleKind = "constant" | "linear";

/**
 * Value of a schedule at the given remaining progress
 * (SB3 `get_schedule_fn` / `get_linear_fn` with end 0).
 *
 * @param kind "constant" keeps `initial`; "linear" returns `initial * progressRemaining`.
 * @param initial Value at the start of training.
 * @param progressRemaining `1 - timesteps_done / total_timesteps`, clamped to [0, 1].
 * @throws {RangeError} For an unknown kind.
 */
export function scheduleValue(
  kind: ScheduleKind,
  initial: number,
  progressRemaining: number,
): number {
  const p = Math.min(1, Math.max(0, progressRemaining));
  switch (kind) {
    case "constant":
      return initial;
    case "linear":
      return initial * p;
    default:
      throw new RangeError(`Unknown schedule '${kind as string}', expected constant or linear`);
  }
}
