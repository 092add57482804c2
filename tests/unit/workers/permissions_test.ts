import assert from "node:assert/strict";
import { join } from "node:path";
import {
  envWorkerPermissions,
  extractorWorkerPermissions,
  PROJECT_ROOT,
} from "../../../lib/workers/mod.ts";

Deno.test("envWorkerPermissions() grants read of code, configs and the map, and nothing else", () => {
  const p = envWorkerPermissions({ mapPaths: ["/data/maps/campus.json"], env: ["SEED_DIR"] });
  assert.deepEqual(p.read, [
    join(PROJECT_ROOT, "lib"),
    join(PROJECT_ROOT, "configs"),
    join(PROJECT_ROOT, "mod.ts"),
    join(PROJECT_ROOT, "deno.json"),
    "/data/maps/campus.json",
  ]);
  assert.deepEqual(
    { write: p.write, net: p.net, run: p.run, ffi: p.ffi, sys: p.sys, import: p.import },
    { write: false, net: false, run: false, ffi: false, sys: false, import: false },
  );
  assert.deepEqual(p.env, ["SEED_DIR"]);
  assert.equal(envWorkerPermissions().env, false);
  // Relative map paths resolve against the current directory.
  assert.equal(
    envWorkerPermissions({ mapPaths: ["maps/x.svg"] }).read.at(-1),
    join(Deno.cwd(), "maps/x.svg"),
  );
  assert.throws(() => envWorkerPermissions({ env: ["A=B"] }), TypeError);
});

Deno.test("extractorWorkerPermissions() writes only its directory and loads native code only from node_modules", () => {
  const p = extractorWorkerPermissions("/runs/r1/extractors/mlp_small");
  assert.deepEqual(p.write, ["/runs/r1/extractors/mlp_small"]);
  assert.deepEqual(p.ffi, [join(PROJECT_ROOT, "node_modules")]);
  assert.ok(p.read.includes(join(PROJECT_ROOT, "node_modules")));
  assert.ok(p.read.includes("/runs/r1/extractors/mlp_small"));
  assert.deepEqual(
    { net: p.net, run: p.run, sys: p.sys, import: p.import, env: p.env },
    { net: false, run: false, sys: false, import: false, env: false },
  );
  assert.throws(() => extractorWorkerPermissions(""), TypeError);
});

/**
 * Run the probe worker from a host process that has every permission, so a
 * denial can only come from the worker's own permission set.
 */
async function probe(mode: "env" | "extractor") {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      join(PROJECT_ROOT, "deno.json"),
      "tests/unit/workers/_denial_host.ts",
      mode,
    ],
    cwd: PROJECT_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `probe host failed: ${stderr}`);
  return JSON.parse(new TextDecoder().decode(out.stdout)) as {
    outside: string;
    extractorDir: string;
    report: Record<string, string>;
  };
}

function denied(outcome: string, kind: string, target: string) {
  assert.equal(
    outcome,
    `NotCapable: Requires ${kind} access to "${target}", run again with the --allow-${kind} flag`,
  );
}

Deno.test("Code in an env worker cannot write, read outside its paths, open sockets, spawn, or load native code", async () => {
  const { outside, report } = await probe("env");
  denied(report.writeOutside, "write", `${outside}/written.txt`);
  assert.equal(report.writtenOutside, "false");
  denied(report.readOutside, "read", `${outside}/secret.txt`);
  denied(
    report.readProjectTests,
    "read",
    join(PROJECT_ROOT, "tests/unit/workers/_denial_probe.ts"),
  );
  denied(report.connect, "net", "127.0.0.1:9");
  denied(report.listen, "net", "127.0.0.1:0");
  denied(report.run, "run", "true");
  denied(report.ffi, "ffi", "libc.so.6");
  denied(report.envOther, "env", "HOME");
  denied(report.sys, "sys", "hostname");
  // What it may do.
  assert.equal(report.readAllowed, "ok");
  assert.equal(report.envAllowed, "ok");
});

Deno.test("Code in an extractor worker writes only its directory and loads onnxruntime-node, nothing more", async () => {
  const { outside, report } = await probe("extractor");
  assert.equal(report.writeInside, "ok");
  assert.equal(report.writtenInside, "true");
  denied(report.writeOutside, "write", `${outside}/written.txt`);
  assert.equal(report.writtenOutside, "false");
  denied(report.readOutside, "read", `${outside}/secret.txt`);
  denied(
    report.readProjectTests,
    "read",
    join(PROJECT_ROOT, "tests/unit/workers/_denial_probe.ts"),
  );
  denied(report.connect, "net", "127.0.0.1:9");
  denied(report.listen, "net", "127.0.0.1:0");
  denied(report.run, "run", "true");
  denied(report.ffi, "ffi", "libc.so.6");
  denied(report.envOther, "env", "HOME");
  denied(report.sys, "sys", "hostname");
  assert.equal(report.readAllowed, "ok");
  assert.equal(report.envAllowed, "ok");
  // ONNX Runtime's native binding loads from node_modules and runs a Neg node.
  assert.equal(report.onnx, "ok");
  assert.equal(report.onnxOutput, "-1.5,2");
});

Deno.test("Only lib/workers/permissions.ts creates Workers", async () => {
  const offenders: string[] = [];
  async function scan(dir: string) {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await scan(path);
      else if (
        entry.name.endsWith(".ts") && /new\s+Worker\s*\(/.test(await Deno.readTextFile(path))
      ) {
        offenders.push(path.slice(PROJECT_ROOT.length + 1));
      }
    }
  }
  for (const dir of ["lib", "scripts", "bench"]) {
    await scan(join(PROJECT_ROOT, dir)).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
  }
  assert.deepEqual(offenders, ["lib/workers/permissions.ts"]);
});

Deno.test("computeWorkerPermissions() grants nothing, and the dropout-mask worker runs under it", async () => {
  const { computeWorkerPermissions } = await import("../../../lib/workers/mod.ts");
  assert.deepEqual(computeWorkerPermissions(), {
    read: [],
    write: false,
    net: false,
    run: false,
    ffi: false,
    sys: false,
    import: false,
    env: false,
  });
  const { _MaskPrefetcher } = await import("../../../lib/nn/_mask_prefetch.ts");
  const { fillMask } = await import("../../../lib/nn/mod.ts");
  const prefetcher = new _MaskPrefetcher("float32");
  prefetcher.request({ keys: [7], sizes: [1000], ps: [0.3] });
  const [buffer] = (await prefetcher.take([7], [1000]))!;
  prefetcher.terminate();
  const expected = new Float32Array(1000);
  fillMask(expected, 7, 0.3);
  assert.deepEqual(new Float32Array(buffer), expected);
});

Deno.test("extractorWorkerPermissions() grants a directory reached through a link under both names", async () => {
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "permissions-link-" }));
  try {
    const real = `${base}/run`;
    await Deno.mkdir(`${real}/extractors/mlp_small`, { recursive: true });
    await Deno.symlink(real, `${base}/alias`);
    const linked = extractorWorkerPermissions(`${base}/alias/extractors/mlp_small`);
    const expected = [`${base}/alias/extractors/mlp_small`, `${real}/extractors/mlp_small`];
    assert.deepEqual(linked.write, expected);
    for (const path of expected) assert.ok((linked.read as string[]).includes(path));
    // Not created yet: the nearest existing ancestor is resolved and the rest appended.
    const later = extractorWorkerPermissions(`${base}/alias/extractors/new/x`);
    assert.deepEqual(later.write, [`${base}/alias/extractors/new/x`, `${real}/extractors/new/x`]);
    // No link on the way: the one path.
    assert.deepEqual(extractorWorkerPermissions(`${real}/extractors/mlp_small`).write, [
      `${real}/extractors/mlp_small`,
    ]);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
