// deno-lint-ignore-file no-control-regex -- the tests look for control characters
// Control characters in names, run ids and messages: refused in scenarios, escaped
// on the console (no forged log line) and in summary.md (no raw NUL/ESC/BEL bytes).
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { ConfigError, parseScenario } from "../../../lib/config/mod.ts";
import {
  consoleSafe,
  escapeControlCharacters,
  firstControlCharacter,
} from "../../../lib/internal/control_chars.ts";
import { getSuiteLogger, setupLogging } from "../../../lib/log/mod.ts";
import { renderSummaryMarkdown } from "../../../lib/report/mod.ts";
import { normalizeName } from "../../../lib/run/mod.ts";
import { REPO } from "../../integration/resume/_harness.ts";

Deno.test("escapes: \\uXXXX for every control character; continuation lines indented", () => {
  assert.equal(
    escapeControlCharacters("a\nb\u001b[2J\u0000\u0007\u2028c"),
    "a\\u000ab\\u001b[2J\\u0000\\u0007\\u2028c",
  );
  assert.equal(consoleSafe("x\nERROR forged\r\u0007"), "x\n  ERROR forged\\u000d\\u0007");
  assert.equal(firstControlCharacter("ok name"), null);
  assert.equal(firstControlCharacter("a\u009bb"), "U+009B");
});

Deno.test("a name holding a newline cannot forge a console log line", async () => {
  const lines: string[] = [];
  const session = await setupLogging({ consoleWriter: (text) => lines.push(text) });
  getSuiteLogger("test").info("Training {extractor}", {
    extractor: "mlp\nERROR Extractor forged failed\u001b[31m\u0007",
  });
  await session.close();
  const out = lines.join("");
  assert.equal(out.split("\n").filter((line) => /^(ERROR|WARN|INFO|DEBUG)\b/.test(line)).length, 1);
  assert.doesNotMatch(out, /[\u0000-\u0009\u000b-\u001f\u007f]/);
  assert.ok(out.includes("  ERROR Extractor forged failed\\u001b[31m\\u0007"), out);
});

Deno.test("scenarios with control characters in run_id or an extractor name are refused, naming the key", async () => {
  const text = 'run:\n  run_id: "a\\u0007b"\nextractors:\n  - {name: "x\\ny", preset: mlp_small}\n';
  await assert.rejects(() => parseScenario(text, { file: "s.yaml" }), (error: Error) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /run\.run_id: "a\\u0007b" holds the control character U\+0007/);
    assert.match(
      error.message,
      /extractors\[0\]\.name: "x\\u000ay" holds the control character U\+000A/,
    );
    return true;
  });
  assert.throws(() => normalizeName("run\u001bid"), /control character U\+001B/);
});

Deno.test("summary.md carries no raw control characters from names or reasons", () => {
  const markdown = renderSummaryMarkdown(
    {
      run_id: "r\u0000id",
      created_at: "2026-12-04T00:00:00.000Z",
      output_root: "/r",
      hardware_overview: [{ platform: "p", arch: "x", python_version: "deno", workers: 1 }],
      extractor_results: [{
        config_name: "bad\u001b[2Jname\u0007",
        status: "failed",
        worker_mode: "single-thread",
        training_steps: 0,
        reason: "boom\u0000",
        metrics: {},
        artifacts: {},
      }],
      aggregate_metrics: {},
    } as unknown as Parameters<typeof renderSummaryMarkdown>[0],
  );
  assert.doesNotMatch(markdown, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  assert.ok(markdown.includes("bad\\u001b[2Jname\\u0007"));
  assert.ok(markdown.includes("- Run ID: r\\u0000id"));
});

Deno.test("validate refuses a run id with a newline on the command line file, exit 2 without a forged line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "control-chars-" });
  try {
    const file = nodePath.join(dir, "s.yaml");
    await Deno.writeTextFile(
      file,
      'run:\n  run_id: "a\\nERROR forged"\nextractors:\n  - {name: mlp_small, preset: mlp_small}\n',
    );
    const config = JSON.parse(await Deno.readTextFile(nodePath.join(REPO, "deno.json")));
    const words = (config.tasks.validate as string).split(/\s+/).slice(1);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [...words, file],
      cwd: REPO,
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    assert.match(stderr, /run\.run_id: "a\\u000aERROR forged" holds the control character U\+000A/);
    assert.doesNotMatch(stderr, /^ERROR forged/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
