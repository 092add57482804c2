import assert from "node:assert/strict";
import {
  createRunRecord,
  MANIFEST_FORMAT_VERSION,
  ManifestError,
  ManifestWriter,
  parseManifest,
  readManifest,
} from "../../../lib/run/mod.ts";

const HARDWARE = { platform: "Linux", arch: "x86_64", python_version: "deno 2.9.6", workers: 1 };

async function withManifest(fn: (path: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(`${dir}/manifest.jsonl`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("ManifestWriter writes one versioned JSON object per line", async () => {
  await withManifest(async (path) => {
    const manifest = await ManifestWriter.open(path);
    await manifest.append({
      event: "run_started",
      time: "2026-11-29T12:00:00.000Z",
      run_id: "default",
      run_dir_name: "20261129-120000-default",
      config_file: "/c.yaml",
      config_sha256: "a".repeat(64),
      config: { run: {} },
      hardware: HARDWARE,
    });
    await manifest.append({
      event: "checkpoint_written",
      extractor: "mlp_small",
      path: "extractors/mlp_small/checkpoints/step_2048.bin",
      step: 2048,
      sha256: "b".repeat(64),
    });
    manifest.close();
    const lines = (await Deno.readTextFile(path)).split("\n");
    assert.equal(lines.length, 3);
    assert.equal(lines[2], "");
    assert.ok(
      lines[0].startsWith(
        '{"format_version":2,"event":"run_started","time":"2026-11-29T12:00:00.000Z","run_id"',
      ),
      lines[0],
    );
    const { events, torn } = await readManifest(path);
    assert.equal(torn, null);
    assert.deepEqual(events.map((e) => e.event), ["run_started", "checkpoint_written"]);
    assert.equal(events[1].format_version, MANIFEST_FORMAT_VERSION);
    assert.ok(!Number.isNaN(Date.parse(events[1].time)));
  });
});

Deno.test("ManifestWriter.append() refuses an event that breaks the schema and writes nothing", async () => {
  await withManifest(async (path) => {
    const manifest = await ManifestWriter.open(path);
    await assert.rejects(
      () =>
        manifest.append({
          event: "checkpoint_written",
          extractor: "a",
          path: "x",
          step: -1,
          sha256: "nothex",
        }),
      (error: Error) =>
        error instanceof TypeError && error.message.includes("step: must be >= 0") &&
        error.message.includes("sha256: must match pattern"),
    );
    const record = {
      config_name: "a",
      status: "skipped",
      start_time: "2026-11-29T12:00:00Z",
      worker_mode: "single-thread",
    };
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      () => manifest.append({ event: "extractor_finished", extractor: "a", record: record as any }),
      /record.reason: missing required key "reason"/,
    );
    manifest.close();
    assert.equal(await Deno.readTextFile(path), "");
  });
});

Deno.test("readManifest() skips and reports a torn last line", async () => {
  await withManifest(async (path) => {
    const manifest = await ManifestWriter.open(path);
    await manifest.append({
      event: "extractor_started",
      extractor: "a",
      directory: "extractors/a",
    });
    manifest.close();
    const torn = '{"format_version":1,"event":"extractor_started","ti';
    await Deno.writeTextFile(path, torn, { append: true });
    const { events, torn: report } = await readManifest(path);
    assert.equal(events.length, 1);
    assert.deepEqual(report, { line: 2, bytes: torn.length, preview: torn });
  });
});

Deno.test("parseManifest() keeps a complete last line whose newline was lost", () => {
  const line = JSON.stringify({
    format_version: 1,
    event: "extractor_started",
    time: "2026-11-29T12:00:00Z",
    extractor: "a",
    directory: "extractors/a",
  });
  const { events, torn } = parseManifest(`${line}\n${line}`);
  assert.equal(events.length, 2);
  assert.equal(torn, null);
});

Deno.test("parseManifest() rejects a corrupt complete line, naming the line", () => {
  const good = JSON.stringify({
    format_version: 1,
    event: "extractor_started",
    time: "2026-11-29T12:00:00Z",
    extractor: "a",
    directory: "extractors/a",
  });
  assert.throws(
    () => parseManifest(`${good}\n{oops\n${good}\n`, "m.jsonl"),
    (error: Error) =>
      error instanceof ManifestError && error.line === 2 &&
      error.message.startsWith("m.jsonl:2: not valid JSON"),
  );
  const newer = good.replace('"format_version":1', '"format_version":3');
  assert.throws(
    () => parseManifest(`${good}\n${newer}\n`, "m.jsonl"),
    (error: Error) =>
      error instanceof ManifestError && error.line === 2 && error.newerFormat === 3 &&
      /written by a newer version \(format_version 3\); this reader understands up to 2/
        .test(error.message),
  );
  // Version 1 lines (runs started before run_resumed existed) still read.
  assert.equal(parseManifest(`${good}\n`).events[0].format_version, 1);
  const unknown = good.replace("extractor_started", "coffee_break");
  assert.throws(
    () => parseManifest(`${unknown}\n`, "m.jsonl"),
    /m\.jsonl:1: event: must be one of/,
  );
});

Deno.test("ManifestWriter.open() removes a torn tail before appending", async () => {
  await withManifest(async (path) => {
    let manifest = await ManifestWriter.open(path);
    await manifest.append({
      event: "extractor_started",
      extractor: "a",
      directory: "extractors/a",
    });
    manifest.close();
    await Deno.writeTextFile(path, '{"format_version":1,"ev', { append: true });
    manifest = await ManifestWriter.open(path);
    assert.deepEqual(manifest.repair, { action: "removed", bytes: 23 });
    await manifest.append({
      event: "extractor_started",
      extractor: "b",
      directory: "extractors/b",
    });
    manifest.close();
    const { events, torn } = await readManifest(path);
    assert.equal(torn, null);
    assert.deepEqual(events.map((e) => "extractor" in e ? e.extractor : ""), ["a", "b"]);
  });
});

Deno.test("ManifestWriter.open() terminates a complete last line that lost its newline", async () => {
  await withManifest(async (path) => {
    const line = JSON.stringify({
      format_version: 1,
      event: "extractor_started",
      time: "2026-11-29T12:00:00Z",
      extractor: "a",
      directory: "extractors/a",
    });
    await Deno.writeTextFile(path, line);
    const manifest = await ManifestWriter.open(path, { create: false });
    assert.deepEqual(manifest.repair, { action: "terminated", bytes: line.length });
    await manifest.append({
      event: "extractor_started",
      extractor: "b",
      directory: "extractors/b",
    });
    manifest.close();
    assert.equal((await readManifest(path)).events.length, 2);
  });
});

Deno.test("ManifestWriter.open() with create false needs an existing manifest", async () => {
  await withManifest(async (path) => {
    await assert.rejects(() => ManifestWriter.open(path, { create: false }), Deno.errors.NotFound);
  });
});

Deno.test("an extractor_finished event carries a schema-valid run record", async () => {
  await withManifest(async (path) => {
    const manifest = await ManifestWriter.open(path);
    const record = createRunRecord({
      config_name: "mlp_small",
      status: "success",
      start_time: "2026-11-29T12:00:00Z",
      end_time: "2026-11-29T12:01:00Z",
      duration_seconds: 60,
      worker_mode: "single-thread",
      training_steps: 4096,
      metrics: { best_mean_reward: 0.5 },
      artifacts: { metrics: "extractors/mlp_small/metrics.json" },
    });
    await manifest.append({ event: "extractor_finished", extractor: "mlp_small", record });
    manifest.close();
    const [event] = (await readManifest(path)).events;
    assert.equal(event.event, "extractor_finished");
    assert.deepEqual(event.event === "extractor_finished" && event.record, record);
  });
});

Deno.test("lines above 4 KiB from concurrent processes never interleave", async () => {
  await withManifest(async (path) => {
    const script = new URL("../../fixtures/manifest_appender.ts", import.meta.url).pathname;
    const writers = ["w1", "w2", "w3"];
    const count = 40;
    const results = await Promise.all(writers.map((writer) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "--allow-read",
          "--allow-write",
          script,
          path,
          writer,
          String(count),
          "6000",
        ],
        stdout: "null",
        stderr: "piped",
      }).output()
    ));
    for (const result of results) {
      assert.ok(result.success, new TextDecoder().decode(result.stderr));
    }
    const { events, torn } = await readManifest(path);
    assert.equal(torn, null);
    assert.equal(events.length, writers.length * count);
    for (const writer of writers) {
      const own = events.flatMap((e) =>
        e.event === "extractor_started" && e.extractor.startsWith(`${writer}-`) ? [e.extractor] : []
      );
      assert.deepEqual(own, Array.from({ length: count }, (_, i) => `${writer}-${i}`));
    }
  });
});

Deno.test("concurrent appends through one writer each land as a whole line", async () => {
  await withManifest(async (path) => {
    const manifest = await ManifestWriter.open(path);
    const padding = "y".repeat(70_000);
    await Promise.all(Array.from({ length: 20 }, (_, i) =>
      manifest.append({
        event: "extractor_started",
        extractor: `e${i}`,
        directory: "extractors/e",
        parameters: { padding },
      })));
    manifest.close();
    const { events, torn } = await readManifest(path);
    assert.equal(torn, null);
    assert.equal(events.length, 20);
    assert.deepEqual(
      events.map((e) => e.event === "extractor_started" ? e.extractor : "").sort(),
      Array.from({ length: 20 }, (_, i) => `e${i}`).sort(),
    );
  });
});
