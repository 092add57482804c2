// Second method: Python's jsonschema (an independent Draft 7 implementation) must agree
// with ajv on a real summary and on a broken one. Skipped when python3 lacks jsonschema.
import assert from "node:assert/strict";
import { summarizeRun } from "../../lib/report/mod.ts";
import { buildRunDirectory } from "../fixtures/run_dir.ts";

const CHECK = `
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
errors = {}
for path in sys.argv[2:]:
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors[path] = sorted(e.validator for e in validator.iter_errors(json.load(open(path))))
print(json.dumps(errors))
`;

async function pythonHasJsonschema(): Promise<boolean> {
  try {
    const probe = await new Deno.Command("python3", {
      args: ["-c", "import jsonschema"],
      stdout: "null",
      stderr: "null",
    }).output();
    return probe.success;
  } catch {
    return false;
  }
}

const available = await pythonHasJsonschema();

Deno.test({
  name: "Python's jsonschema accepts a real summary and rejects a GPU without CUDA version",
  ignore: !available,
  fn: async () => {
    const root = await Deno.makeTempDir();
    try {
      const { runDir } = await buildRunDirectory(root);
      const { summary, files } = await summarizeRun(runDir);
      const broken = structuredClone(summary);
      broken.hardware_overview[0].gpu_model = "NVIDIA A100";
      delete broken.extractor_results[3].reason;
      const brokenPath = `${root}/broken.json`;
      await Deno.writeTextFile(brokenPath, JSON.stringify(broken));
      const schema =
        new URL("../../contracts/training_summary.schema.json", import.meta.url).pathname;
      const output = await new Deno.Command("python3", {
        args: ["-c", CHECK, schema, files.json, brokenPath],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(output.success, new TextDecoder().decode(output.stderr));
      const errors = JSON.parse(new TextDecoder().decode(output.stdout));
      assert.deepEqual(errors[files.json], []);
      assert.ok(errors[brokenPath].includes("dependencies"), JSON.stringify(errors));
      assert.ok(errors[brokenPath].includes("required"), JSON.stringify(errors));
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

if (!available) console.log("skipped: python3 with jsonschema is not installed");
