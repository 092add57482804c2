import assert from "node:assert/strict";
import * as nodePath from "node:path";
import {
  assertUniqueNames,
  createExtractorDirectory,
  createRunDirectory,
  extractorDirectory,
  findLatestRun,
  findNameCollisions,
  formatRunTimestamp,
  normalizeName,
  normalizeRunId,
  outputRootProblem,
  relativeToRun,
  resolveInside,
  resolveOutputRoot,
  RUN_TIMESTAMP_PATTERN,
  runDirectoryName,
} from "../../../lib/run/mod.ts";

Deno.test("normalizeName() replaces runs of unsafe characters with one underscore", () => {
  assert.equal(normalizeName("mlp small"), "mlp_small");
  assert.equal(normalizeName("cnn/v2:final"), "cnn_v2_final");
  assert.equal(normalizeName("Ärger über CNN"), "rger_ber_CNN");
  assert.equal(normalizeName("  attention.large-2  "), "attention.large-2");
});

Deno.test("normalizeName() strips leading and trailing dots, dashes and underscores", () => {
  assert.equal(normalizeName("../../etc/passwd"), "etc_passwd");
  assert.equal(normalizeName(".hidden"), "hidden");
  assert.equal(normalizeName("__x__"), "x");
});

Deno.test("normalizeName() refuses names with nothing alphanumeric left", () => {
  for (const name of ["", "..", "???", " - ", "日本"]) {
    assert.throws(() => normalizeName(name), RangeError, name);
  }
  assert.throws(() => normalizeName("x".repeat(129)), /the limit is 128/);
});

Deno.test("findNameCollisions() finds collisions after normalisation or case folding", () => {
  assert.deepEqual(findNameCollisions(["mlp small", "cnn", "MLP_small", "mlp/small"]), [
    {
      firstIndex: 0,
      secondIndex: 2,
      first: "mlp small",
      second: "MLP_small",
      directory: "MLP_small",
    },
    {
      firstIndex: 0,
      secondIndex: 3,
      first: "mlp small",
      second: "mlp/small",
      directory: "mlp_small",
    },
  ]);
  assert.deepEqual(findNameCollisions(["a", "b", "a.b"]), []);
});

Deno.test("assertUniqueNames() names both colliding names and the shared directory", () => {
  assert.throws(
    () => assertUniqueNames(["CNN", "cnn"]),
    {
      name: "RangeError",
      message:
        'Names "CNN" and "cnn" collide after normalisation or case folding (both map to directory "cnn")',
    },
  );
});

Deno.test("formatRunTimestamp() formats in UTC as YYYYMMDD-HHMMSS", () => {
  // 1700000000 s since the epoch is 2023-11-14 22:13:20 UTC.
  assert.equal(formatRunTimestamp(new Date(1_700_000_000_000)), "20231114-221320");
  // Single-digit fields are zero-padded; a UTC+1 local time does not shift the result.
  assert.equal(formatRunTimestamp(new Date("2026-01-02T03:04:05+01:00")), "20260102-020405");
  assert.match(formatRunTimestamp(new Date()), RUN_TIMESTAMP_PATTERN);
});

Deno.test("resolveOutputRoot() expands a leading ~ to HOME, not ~user, and refuses ~ without HOME", () => {
  const cwd = "/work";
  const env = (values: Record<string, string>) => (name: string) => values[name];
  const home = env({ HOME: "/home/ada" });
  assert.equal(resolveOutputRoot({ config: "~/runs", env: home, cwd }).path, "/home/ada/runs");
  assert.equal(resolveOutputRoot({ flag: "~", env: home, cwd }).path, "/home/ada");
  assert.equal(resolveOutputRoot({ flag: "~bob/runs", env: home, cwd }).path, "/work/~bob/runs");
  assert.equal(resolveOutputRoot({ flag: "runs/~", env: home, cwd }).path, "/work/runs/~");
  assert.equal(
    resolveOutputRoot({ env: env({ HOME: "/h", MULTI_EXTRACTOR_TMP: "~/tmp" }), cwd }).path,
    "/h/tmp",
  );
  assert.throws(
    () => resolveOutputRoot({ config: "~/runs", env: env({}), cwd }),
    (error: Error) =>
      error instanceof RangeError &&
      /"~\/runs" \(from config\).*HOME is not set/.test(error.message),
  );
});

Deno.test("resolveOutputRoot() applies flag > config > MULTI_EXTRACTOR_TMP > ROBOT_SF_... > default", () => {
  const env = { MULTI_EXTRACTOR_TMP: "ours", ROBOT_SF_MULTI_EXTRACTOR_TMP: "/ref" };
  const read = (values: Record<string, string>) => (name: string) => values[name];
  const cwd = "/work";
  assert.deepEqual(resolveOutputRoot({ flag: "f", config: "c", env: read(env), cwd }), {
    path: "/work/f",
    source: "flag",
  });
  assert.deepEqual(resolveOutputRoot({ config: "/c", env: read(env), cwd }), {
    path: "/c",
    source: "config",
  });
  assert.deepEqual(resolveOutputRoot({ env: read(env), cwd }), {
    path: "/work/ours",
    source: "MULTI_EXTRACTOR_TMP",
  });
  assert.deepEqual(
    resolveOutputRoot({ env: read({ ROBOT_SF_MULTI_EXTRACTOR_TMP: "/ref" }), cwd }),
    {
      path: "/ref",
      source: "ROBOT_SF_MULTI_EXTRACTOR_TMP",
    },
  );
  assert.deepEqual(resolveOutputRoot({ flag: " ", env: read({ MULTI_EXTRACTOR_TMP: "" }), cwd }), {
    path: "/work/tmp/multi_extractor_training",
    source: "default",
  });
});

Deno.test("resolveInside() refuses paths that leave the root", () => {
  assert.equal(resolveInside("/runs/r1", "extractors", "a"), "/runs/r1/extractors/a");
  assert.throws(() => resolveInside("/runs/r1", "../r2"), RangeError);
  assert.throws(() => resolveInside("/runs/r1", "extractors/../../x"), RangeError);
  assert.throws(() => resolveInside("/runs/r1", "/etc/passwd"), RangeError);
  assert.throws(() => resolveInside("/runs/r1", ".."), RangeError);
  assert.throws(() => relativeToRun("/runs/r1", "/runs/r10/x"), RangeError);
  assert.equal(relativeToRun("/runs/r1", "/runs/r1/extractors/a/m.json"), "extractors/a/m.json");
});

Deno.test("extractorDirectory() uses the normalised name inside extractors/", () => {
  assert.equal(
    extractorDirectory("/runs/r1", "../escape attempt"),
    "/runs/r1/extractors/escape_attempt",
  );
});

Deno.test("createRunDirectory() never reuses a directory: the same second gets a suffix", async () => {
  const root = await Deno.makeTempDir();
  try {
    const now = new Date("2026-11-29T17:45:01Z");
    const first = await createRunDirectory(`${root}/out`, "my run", { now });
    await Deno.writeTextFile(`${first.path}/keep.txt`, "first run's file");
    const second = await createRunDirectory(`${root}/out`, "my run", { now });
    const third = await createRunDirectory(`${root}/out`, "my run", { now });
    assert.deepEqual([first.name, second.name, third.name], [
      "20261129-174501-my_run",
      "20261129-174501-my_run-2",
      "20261129-174501-my_run-3",
    ]);
    assert.equal(first.timestamp, "20261129-174501");
    assert.equal(await Deno.readTextFile(`${first.path}/keep.txt`), "first run's file");
    for (const run of [first, second, third]) {
      assert.ok((await Deno.stat(`${run.path}/extractors`)).isDirectory);
    }
    const dir = await createExtractorDirectory(first.path, "MLP small");
    assert.equal(dir, `${first.path}/extractors/MLP_small`);
    assert.equal(
      await createExtractorDirectory(first.path, "MLP small"),
      dir,
      "existing dir is kept",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createRunDirectory() runs started concurrently in one second get distinct dirs", async () => {
  const root = await Deno.makeTempDir();
  try {
    const now = new Date("2026-11-29T17:45:01Z");
    const runs = await Promise.all(
      Array.from({ length: 5 }, () => createRunDirectory(root, "r", { now })),
    );
    assert.equal(new Set(runs.map((run) => run.path)).size, 5);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("findLatestRun() picks the newest run directory by name, then by start time", async () => {
  const root = await Deno.makeTempDir({ prefix: "latest-" });
  try {
    assert.equal(await findLatestRun(nodePath.join(root, "missing")), null);
    const run = async (name: string, time?: string) => {
      await Deno.mkdir(nodePath.join(root, name));
      if (time !== undefined) {
        const line = JSON.stringify({ format_version: 2, event: "run_started", time });
        await Deno.writeTextFile(nodePath.join(root, name, "manifest.jsonl"), `${line}\n`);
      }
    };
    assert.equal(await findLatestRun(root), null);
    await run("20261129-120000-default", "2026-11-29T12:00:00.100Z");
    await run("20261129-093000-zeta", "2026-11-29T09:30:00.000Z");
    assert.equal(await findLatestRun(root), nodePath.join(root, "20261129-120000-default"));
    // Same second: the later run_started wins, whatever the name.
    await run("20261130-080000-b", "2026-11-30T08:00:00.900Z");
    await run("20261130-080000-a", "2026-11-30T08:00:00.200Z");
    assert.equal(await findLatestRun(root), nodePath.join(root, "20261130-080000-b"));
    // Newer directories that are no runs (yet) are passed over.
    await run("20261201-000000-empty");
    await Deno.writeTextFile(nodePath.join(root, "20261202-000000-file"), "");
    await run("notes");
    assert.equal(await findLatestRun(root), nodePath.join(root, "20261130-080000-b"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("outputRootProblem() names a root that is a file, or below a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/file`, "x");
    await Deno.mkdir(`${dir}/existing`);
    assert.equal(await outputRootProblem(`${dir}/file`), `${dir}/file is not a directory`);
    assert.equal(
      await outputRootProblem(`${dir}/file/a/b`),
      `${dir}/file/a/b cannot be created: ${dir}/file is not a directory`,
    );
    assert.equal(await outputRootProblem(`${dir}/existing`), null);
    assert.equal(await outputRootProblem(`${dir}/new/deeper`), null);
    assert.equal(await Deno.readTextFile(`${dir}/file`), "x");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("normalizeRunId() keeps letters and digits of every script", () => {
  assert.equal(normalizeRunId("Läufe über Nacht"), "Läufe_über_Nacht");
  assert.equal(normalizeRunId("実験 1"), "実験_1");
  assert.equal(normalizeRunId("эксперимент/2"), "эксперимент_2");
  // NFD input (a + combining diaeresis) gives the same directory as NFC.
  assert.equal(normalizeRunId("La\u0308ufe"), "L\u00e4ufe");
  assert.equal(normalizeRunId("../../etc"), "etc");
  assert.equal(
    runDirectoryName("日本", new Date(Date.UTC(2026, 10, 29, 17, 45, 1))),
    "20261129-174501-日本",
  );
  for (const id of ["", "..", "???", " - "]) {
    assert.throws(() => normalizeRunId(id), RangeError, id);
  }
});

Deno.test("normalizeRunId() refuses control characters, as run.run_id in a scenario does", () => {
  assert.throws(
    () => normalizeRunId("a\nb"),
    RangeError,
    'Run id "a\\u000ab" holds the control character U+000A',
  );
  assert.throws(() => normalizeRunId("a\u001b[31mb"), RangeError, "U+001B");
  assert.throws(() => normalizeRunId("a\u2028b"), RangeError, "U+2028");
});
