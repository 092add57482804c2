/**
 * Forward outputs equal PyTorch's (tests/fixtures/extractors/torch_extractors.json):
 * the same closed-form weights and inputs through our policy graph and through
 * the torch 1.13 rebuild of each preset, in eval mode for every case and in train
 * mode (batch statistics, new running statistics) for the dropout-free cases.
 */
import { assertClose } from "../nn/_helpers.ts";
import { FIXTURE, newStore, runPolicy, setFixtureWeights } from "./_fixture.ts";

const VARIANTS = [
  // float64: ONNX Conv is float32-only, so "ncl" convs are im2col; "nlc" is the GEMM form.
  { dtype: "float64", conv: "ncl", tol: { rtol: 1e-9, atol: 1e-11 } },
  { dtype: "float64", conv: "nlc", tol: { rtol: 1e-9, atol: 1e-11 } },
  { dtype: "float32", conv: "auto", tol: { rtol: 2e-4, atol: 2e-5 } },
] as const;

for (const c of FIXTURE.cases) {
  Deno.test(`${c.case}: eval-mode features, action mean and value equal PyTorch's`, async () => {
    for (const v of VARIANTS) {
      const store = newStore();
      const run = async () =>
        await runPolicy(FIXTURE.input, {
          preset: c.preset,
          parameters: c.overrides,
          store,
          dtype: v.dtype,
          conv: v.conv,
        });
      await run(); // declares the parameters
      setFixtureWeights(store);
      const r = await run();
      const label = `${v.dtype} ${v.conv}`;
      assertClose(r.features, c.eval.features, { ...v.tol, label: `${label} features` });
      assertClose(r.action_mean, c.eval.action_mean, { ...v.tol, label: `${label} action_mean` });
      assertClose(r.value, c.eval.value, { ...v.tol, label: `${label} value` });
    }
  });
}

for (const c of FIXTURE.cases.filter((x) => x.train)) {
  Deno.test(`${c.case}: train-mode outputs and running statistics equal PyTorch's`, async () => {
    for (const v of VARIANTS) {
      const store = newStore();
      const options = {
        preset: c.preset,
        parameters: c.overrides,
        store,
        dtype: v.dtype,
        conv: v.conv,
        training: true,
      };
      await runPolicy(FIXTURE.input, options);
      setFixtureWeights(store);
      const r = await runPolicy(FIXTURE.input, options);
      const ref = c.train!;
      const label = `${v.dtype} ${v.conv}`;
      assertClose(r.features, ref.features, { ...v.tol, label: `${label} features` });
      assertClose(r.action_mean, ref.action_mean, { ...v.tol, label: `${label} action_mean` });
      assertClose(r.value, ref.value, { ...v.tol, label: `${label} value` });
      for (const [name, values] of Object.entries(ref.buffers)) {
        assertClose(r.buffers[name], values, { ...v.tol, label: `${label} ${name}` });
      }
    }
  });
}
