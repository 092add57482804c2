/**
 * maxPool1d() on tiling windows (stride = kernel, no padding) sends each window's
 * gradient to its first maximum, as PyTorch does, in both layouts; a trailing
 * remainder shorter than a window gets no gradient.
 */
import { type Graph, maxPool1d, transpose } from "../../../lib/nn/mod.ts";
import { assertClose, evalWithGradients } from "./_helpers.ts";

// One batch, one channel: windows with ties, a strict maximum second, and a remainder.
const X2 = [1, 1, 0.5, 2, 3, 3, -1, -1, 4]; // k = 2: windows (1,1) (0.5,2) (3,3) (-1,-1), rest 4
const X3 = [2, 2, 2, 0, 5, 5, 7]; // k = 3: windows (2,2,2) (0,5,5), rest 7

for (
  const [k, x, output, gradient] of [
    [2, X2, [1, 2, 3, -1], [1, 0, 0, 1, 1, 0, 1, 0, 0]],
    [3, X3, [2, 5], [1, 0, 0, 0, 1, 0, 0]],
  ] as const
) {
  for (const layout of ["ncl", "nlc"] as const) {
    Deno.test(`maxPool1d() kernel ${k} (${layout}) routes the gradient to the first maximum`, async () => {
      const length = x.length;
      const r = await evalWithGradients(
        (g: Graph) => {
          const t = g.input("x", layout === "ncl" ? ["batch", 1, length] : ["batch", length, 1]);
          const y = maxPool1d(t, { kernel: k, layout });
          return { output: layout === "ncl" ? y : transpose(y, [0, 2, 1]), wrt: { t } };
        },
        { x: { data: x, shape: layout === "ncl" ? [1, 1, length] : [1, length, 1] } },
        Array(output.length).fill(1),
        "float64",
      );
      assertClose(r.output, output, { label: "output" });
      assertClose(r.grads.t, gradient, { label: "gradient" });
    });
  }
}
