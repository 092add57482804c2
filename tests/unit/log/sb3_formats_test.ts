import assert from "node:assert/strict";
import * as nodePath from "node:path";
import {
  encodeNpy,
  maskedCrc32c,
  ProgressCsvWriter,
  pythonNumber,
  tfRecord,
} from "../../../lib/log/mod.ts";

Deno.test("maskedCrc32c() masks the published CRC-32C check value of '123456789'", () => {
  // CRC-32C("123456789") = 0xE3069283 (RFC 3720 B.4 check value); masked by hand:
  // ((c >>> 15) | (c << 17)) + 0xA282EAD8 mod 2^32 = 0xC78AB0E5.
  assert.equal(maskedCrc32c(new TextEncoder().encode("123456789")), 0xc78ab0e5);
  const framed = tfRecord(new Uint8Array([1, 2, 3]));
  assert.equal(framed.length, 19);
  assert.deepEqual([...framed.subarray(0, 8)], [3, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...framed.subarray(12, 15)], [1, 2, 3]);
});

Deno.test("encodeNpy() writes the bytes numpy.save writes", () => {
  // numpy 2.4: np.save(f, np.array([1.5, 2.0])) -> 128-byte header, then two float64.
  const header = "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }" +
    " ".repeat(60) + "\n";
  const bytes = encodeNpy({ dtype: "<f8", shape: [2], data: [1.5, 2] });
  assert.equal(bytes.length, 144);
  assert.deepEqual([...bytes.subarray(0, 128)], [...header].map((c) => c.charCodeAt(0)));
  assert.deepEqual([...bytes.subarray(128)], [0, 0, 0, 0, 0, 0, 248, 63, 0, 0, 0, 0, 0, 0, 0, 64]);
  const bools = encodeNpy({ dtype: "|b1", shape: [2, 3], data: [0, 1, 0, 0, 0, 1] });
  assert.equal(bools.length, 134); // numpy: 128-byte header + 6 bytes
  assert.match(new TextDecoder().decode(bools.subarray(10, 128)), /'shape': \(2, 3\), \}/);
  assert.throws(() => encodeNpy({ dtype: "<i8", shape: [2, 2], data: [1] }), RangeError);
});

Deno.test("pythonNumber() writes numbers as Python's str()", () => {
  assert.equal(pythonNumber(3), "3");
  assert.equal(pythonNumber(0.1), "0.1");
  assert.equal(pythonNumber(1e-5), "1e-05");
  assert.equal(pythonNumber(2.5e-10), "2.5e-10");
  assert.equal(pythonNumber(0.00012), "0.00012");
  assert.equal(pythonNumber(1.5e20), "1.5e+20");
  assert.equal(pythonNumber(null), "nan");
  assert.equal(pythonNumber(-Infinity), "-inf");
});

Deno.test("ProgressCsvWriter rewrites the header and pads earlier rows when keys appear, as SB3", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = nodePath.join(dir, "progress.csv");
    const w = await ProgressCsvWriter.open(path);
    await w.write({ "train/loss": 0.5, "time/total_timesteps": 32 });
    await w.write({ "time/total_timesteps": 64, "eval/mean_reward": 1.25 });
    await w.write({ "train/loss": 0.25, "time/total_timesteps": 96 });
    const expected = "time/total_timesteps,train/loss,eval/mean_reward\n" +
      "32,0.5,\n" + "64,,1.25\n" + "96,0.25,\n";
    assert.equal(await Deno.readTextFile(path), expected);
    const state = w.state();
    assert.deepEqual(state, {
      keys: ["time/total_timesteps", "train/loss", "eval/mean_reward"],
      rows: 3,
    });

    // A resume from a state of one row: the later header growth and rows are cut away.
    const resumed = await ProgressCsvWriter.open(path, {
      keys: ["time/total_timesteps", "train/loss"],
      rows: 1,
    });
    assert.equal(await Deno.readTextFile(path), "time/total_timesteps,train/loss\n32,0.5\n");
    await resumed.write({ "train/loss": 0.125, "time/total_timesteps": 64 });
    assert.equal(
      await Deno.readTextFile(path),
      "time/total_timesteps,train/loss\n32,0.5\n64,0.125\n",
    );
    await assert.rejects(() => ProgressCsvWriter.open(path, { keys: ["a"], rows: 5 }), RangeError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
