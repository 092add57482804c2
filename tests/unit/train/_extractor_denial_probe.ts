/**
 * Extractor worker entry for the permission tests: the suite's real extractor worker
 * (lib/train/_extractor_worker.ts) with probe code run first. On `start` it tries what
 * an extractor worker must not do (and what it may), writes the outcomes ("ok" or
 * "<Error>: <message>") to `denial_report.json` in its extractor directory, then
 * trains as usual under the same permissions.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { fileURLToPath } from "node:url";
import "../../../lib/train/_extractor_worker.ts";

async function attempt(action: () => unknown): Promise<string> {
  try {
    await action();
    return "ok";
  } catch (err) {
    return `${(err as Error).constructor.name}: ${(err as Error).message}`;
  }
}

const serve = self.onmessage as (event: MessageEvent) => unknown;
self.onmessage = async (event: MessageEvent) => {
  const m = event.data as { type: string; extractorDir: string; runDir: string };
  if (m.type === "start") {
    const ownSource = fileURLToPath(import.meta.url);
    const report = {
      writeRunDir: await attempt(() => Deno.writeTextFile(`${m.runDir}/written.txt`, "x")),
      writeManifest: await attempt(() =>
        Deno.writeTextFile(`${m.runDir}/manifest.jsonl`, "{}\n", { append: true })
      ),
      writeSibling: await attempt(() => Deno.mkdir(`${m.runDir}/extractors/other`)),
      writeInside: await attempt(() => Deno.writeTextFile(`${m.extractorDir}/ok.txt`, "x")),
      readRunDir: await attempt(() => Deno.readTextFile(`${m.runDir}/secret.txt`)),
      readProjectTests: await attempt(() => Deno.readTextFile(ownSource)),
      readInside: await attempt(() => Deno.readTextFile(`${m.extractorDir}/ok.txt`)),
      readBuiltInMap: await attempt(() =>
        Deno.readTextFile(
          fileURLToPath(new URL("../../../configs/maps/default.json", import.meta.url)),
        )
      ),
      connect: await attempt(async () =>
        (await Deno.connect({ hostname: "127.0.0.1", port: 9 })).close()
      ),
      listen: await attempt(() => Deno.listen({ hostname: "127.0.0.1", port: 0 }).close()),
      fetch: await attempt(() => fetch("http://127.0.0.1:8/")),
      run: await attempt(() => new Deno.Command("true").output()),
      ffi: await attempt(() => Deno.dlopen("libc.so.6", {}).close()),
      env: await attempt(() => Deno.env.get("HOME")),
      sys: await attempt(() => Deno.hostname()),
    };
    await Deno.writeTextFile(`${m.extractorDir}/denial_report.json`, JSON.stringify(report));
  }
  return serve(event);
};
