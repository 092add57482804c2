/**
 * Worker module for the permission tests: tries what a worker must not do (and
 * a few things it may) and reports each outcome as "ok" or "<Error>: <message>".
 *
 * @module
 */
/// <reference lib="deno.worker" />

interface ProbeRequest {
  /** Folder outside every allowed path (created by the host). */
  outside: string;
  /** A file inside the project but outside the readable paths. */
  unreadable: string;
  /** A file the worker may read (a built-in map). */
  readable: string;
  /** Folder the worker may write to, or null for none. */
  writable: string | null;
  /** Environment variable the worker may read. */
  allowedEnv: string;
  /** Whether to load onnxruntime-node and run a one-node graph. */
  onnx: boolean;
}

async function attempt(action: () => unknown): Promise<string> {
  try {
    await action();
    return "ok";
  } catch (err) {
    return `${(err as Error).constructor.name}: ${(err as Error).message}`;
  }
}

async function runOnnx(): Promise<string> {
  const { default: ort } = await import("onnxruntime-node");
  const { default: proto } = await import("onnx-proto");
  const { onnx } = proto as unknown as {
    onnx: {
      ModelProto: {
        create(v: unknown): unknown;
        encode(m: unknown): { finish(): Uint8Array };
      };
    };
  };
  const tensor = { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } };
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "negate",
      node: [{ opType: "Neg", input: ["x"], output: ["y"] }],
      input: [{ name: "x", type: tensor }],
      output: [{ name: "y", type: tensor }],
    },
  });
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish());
  const out = await session.run({ x: new ort.Tensor("float32", Float32Array.of(1.5, -2), [2]) });
  return Array.from(out.y.data as Float32Array).join(",");
}

self.onmessage = async (event: MessageEvent<ProbeRequest>) => {
  const q = event.data;
  const report: Record<string, string> = {
    writeOutside: await attempt(() => Deno.writeTextFile(`${q.outside}/written.txt`, "x")),
    readOutside: await attempt(() => Deno.readTextFile(`${q.outside}/secret.txt`)),
    readProjectTests: await attempt(() => Deno.readTextFile(q.unreadable)),
    readAllowed: await attempt(() => Deno.readTextFile(q.readable)),
    connect: await attempt(async () =>
      (await Deno.connect({ hostname: "127.0.0.1", port: 9 })).close()
    ),
    listen: await attempt(() => Deno.listen({ hostname: "127.0.0.1", port: 0 }).close()),
    run: await attempt(() => new Deno.Command("true").output()),
    ffi: await attempt(() => Deno.dlopen("libc.so.6", {}).close()),
    envOther: await attempt(() => Deno.env.get("HOME")),
    envAllowed: await attempt(() => Deno.env.get(q.allowedEnv)),
    sys: await attempt(() => Deno.hostname()),
  };
  if (q.writable !== null) {
    report.writeInside = await attempt(() => Deno.writeTextFile(`${q.writable}/ok.txt`, "x"));
  }
  if (q.onnx) report.onnx = await attempt(async () => report.onnxOutput = await runOnnx());
  self.postMessage(report);
};
