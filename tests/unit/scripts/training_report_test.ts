import assert from "node:assert/strict";
import type { Logger } from "../../../lib/log/mod.ts";
import { reportOutcome } from "../../../scripts/_training.ts";

/** A logger that keeps the warnings it is given (message with its fields filled in). */
function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const fill = (message: string, fields: Record<string, unknown> = {}) =>
    message.replace(/\{(\w+)\}/g, (_, key) => String(fields[key]));
  const logger = {
    info: () => {},
    warn: (message: string, fields?: Record<string, unknown>) =>
      warnings.push(fill(message, fields)),
  } as unknown as Logger;
  return { logger, warnings };
}

const INTERRUPTED = {
  records: [],
  summaryPath: null,
  outcome: "interrupted" as const,
  resumeCommand: "deno task resume '/runs/my run'",
  runPath: "/runs/my run",
};

Deno.test("reportOutcome() exits 130 on an interrupted run and names slurm resubmit only in a SLURM array task", () => {
  const previous = Deno.env.get("SLURM_ARRAY_JOB_ID");
  try {
    Deno.env.delete("SLURM_ARRAY_JOB_ID");
    const plain = recordingLogger();
    assert.equal(reportOutcome(plain.logger, INTERRUPTED), 130);
    assert.deepEqual(plain.warnings, [
      "Run interrupted; resume with: deno task resume '/runs/my run'",
    ]);

    Deno.env.set("SLURM_ARRAY_JOB_ID", "4711");
    const slurm = recordingLogger();
    assert.equal(reportOutcome(slurm.logger, INTERRUPTED), 130);
    assert.deepEqual(slurm.warnings, [
      "Run interrupted; resume with: deno task resume '/runs/my run'",
      "This is a SLURM array task: from the login node, deno task slurm resubmit '/runs/my run' " +
      "submits it again",
    ]);
    assert.equal(reportOutcome(slurm.logger, { ...INTERRUPTED, outcome: "failed" }), 1);
    assert.equal(reportOutcome(slurm.logger, { ...INTERRUPTED, outcome: "completed" }), 0);
  } finally {
    if (previous === undefined) Deno.env.delete("SLURM_ARRAY_JOB_ID");
    else Deno.env.set("SLURM_ARRAY_JOB_ID", previous);
  }
});
