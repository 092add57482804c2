// Input files that are not what they claim (devices, FIFOs, symlink loops, huge sparse
// files, secrets that are not maps) are refused by `deno task validate` with exit 2
// before they are read: fast, in bounded memory, naming the file and the limit, and
// never quoting the file's content.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { REPO } from "../resume/_harness.ts";

/** `deno run` flags of the validate task, with the V8 heap capped at 128 MB. */
async function validateArgs(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(nodePath.join(REPO, "deno.json")));
  const words = (config.tasks.validate as string).split(/\s+/).slice(1);
  return ["run", "--v8-flags=--max-old-space-size=128", ...words.slice(1)];
}

interface Validated {
  code: number;
  stderr: string;
  seconds: number;
}

/** Run validate on `scenario`; killed after 20 s (a hang fails the test). */
async function validate(scenario: string, env: Record<string, string> = {}): Promise<Validated> {
  const start = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [...await validateArgs(), scenario],
    cwd: REPO,
    env: { NO_COLOR: "1", ...env },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const { code, stderr } = await child.output();
  clearTimeout(timer);
  return {
    code,
    stderr: new TextDecoder().decode(stderr),
    seconds: (performance.now() - start) / 1000,
  };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "input-files-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function scenarioWithMap(dir: string, map: string): Promise<string> {
  const file = nodePath.join(dir, "scenario.yaml");
  await Deno.writeTextFile(
    file,
    `run:\n  run_id: maps\nenv:\n  map: ${JSON.stringify(map)}\n` +
      "extractors:\n  - {name: mlp_small, preset: mlp_small}\n",
  );
  return file;
}

Deno.test("/dev/zero as a map fails fast in bounded memory (exit 2, names the map)", async () => {
  await withDir(async (dir) => {
    const result = await validate(await scenarioWithMap(dir, "/dev/zero"));
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /env\.map: map \/dev\/zero is a character device, not a regular file/,
    );
    // Reading it would need far more than the 128 MB heap and take seconds.
    assert.ok(result.seconds < 15, `validate took ${result.seconds} s`);
  });
});

Deno.test("a symlink named like a map pointing at /dev/urandom is refused as a device", async () => {
  await withDir(async (dir) => {
    const link = nodePath.join(dir, "map.json");
    await Deno.symlink("/dev/urandom", link);
    const result = await validate(await scenarioWithMap(dir, link));
    assert.equal(result.code, 2, result.stderr);
    assert.ok(result.stderr.includes(`map ${link} is a character device`), result.stderr);
  });
});

Deno.test("a FIFO as the map or as the scenario exits 2 at once instead of hanging", async () => {
  await withDir(async (dir) => {
    const fifo = nodePath.join(dir, "pipe.json");
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.equal(made.code, 0);
    const asMap = await validate(await scenarioWithMap(dir, fifo));
    assert.equal(asMap.code, 2, asMap.stderr);
    assert.ok(asMap.stderr.includes(`map ${fifo} is a FIFO (named pipe)`), asMap.stderr);
    const asScenario = await validate(fifo);
    assert.equal(asScenario.code, 2, asScenario.stderr);
    assert.ok(asScenario.stderr.includes(`scenario ${fifo} is a FIFO`), asScenario.stderr);
  });
});

Deno.test("a 2 GB sparse map or scenario is refused by size, naming the limit, without reading it", async () => {
  await withDir(async (dir) => {
    const big = nodePath.join(dir, "huge.json");
    const file = await Deno.open(big, { write: true, create: true });
    await file.truncate(2 * 1024 ** 3); // sparse: no disk space used
    file.close();
    const map = await validate(await scenarioWithMap(dir, big));
    assert.equal(map.code, 2, map.stderr);
    assert.ok(
      map.stderr.includes(
        `map ${big} is 2 GiB; the limit is 64 MiB (set MULTI_EXTRACTOR_MAX_MAP_MB`,
      ),
      map.stderr,
    );
    const scenario = await validate(big);
    assert.equal(scenario.code, 2, scenario.stderr);
    assert.ok(scenario.stderr.includes(`the limit is 1 MiB`), scenario.stderr);
    assert.ok(map.seconds < 15 && scenario.seconds < 15);
  });
});

Deno.test("the map limit is configurable: a map over a lowered limit is refused", async () => {
  await withDir(async (dir) => {
    const map = nodePath.join(REPO, "configs/maps/default.json");
    const size = (await Deno.stat(map)).size;
    const result = await validate(await scenarioWithMap(dir, map), {
      MULTI_EXTRACTOR_MAX_MAP_MB: String(size / 2 / 1024 / 1024),
    });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /the limit is [\d.]+ KiB \(set MULTI_EXTRACTOR_MAX_MAP_MB/);
    const ok = await validate(await scenarioWithMap(dir, map));
    assert.equal(ok.code, 0, ok.stderr);
  });
});

Deno.test("a symlink loop as the map or the scenario is invalid input (exit 2)", async () => {
  await withDir(async (dir) => {
    const loop = nodePath.join(dir, "loop.json");
    await Deno.symlink(loop, loop);
    const map = await validate(await scenarioWithMap(dir, loop));
    assert.equal(map.code, 2, map.stderr);
    assert.ok(map.stderr.includes(`map ${loop} is a symlink loop`), map.stderr);
    const scenario = await validate(loop);
    assert.equal(scenario.code, 2, scenario.stderr);
    assert.ok(scenario.stderr.includes(`scenario ${loop} is a symlink loop`), scenario.stderr);
  });
});

Deno.test("a secret that is not a map is refused without echoing its content", async () => {
  await withDir(async (dir) => {
    const secret = nodePath.join(dir, "shadow");
    await Deno.writeTextFile(secret, "root:$6$SECRETHASH0123456789:19000:0:99999:7:::\n");
    const binary = nodePath.join(dir, "blob.json");
    await Deno.writeFile(binary, Uint8Array.of(0x53, 0x45, 0x43, 0x52, 0x45, 0x54, 0, 0xff));
    for (const [file, expected] of [[secret, /not valid JSON/], [binary, /not UTF-8 text/]]) {
      const result = await validate(await scenarioWithMap(dir, file as string));
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, expected as RegExp);
      assert.doesNotMatch(result.stderr, /SECRET|root:/);
    }
  });
});

Deno.test("a directory as the scenario is refused with exit 2", async () => {
  await withDir(async (dir) => {
    const result = await validate(dir);
    assert.equal(result.code, 2, result.stderr);
    assert.ok(result.stderr.includes(`scenario ${dir} is a directory`), result.stderr);
  });
});
