;; Dropout-mask filling with 128-bit SIMD: the same integers as the scalar loop of
;; fillMask in dropout_masks.ts, four hashes (eight mask elements) per iteration.
;;
;; Compiled to _mask_fill.wasm by `deno task build:wasm` (WABT's wat2wasm through
;; npm:wabt); tests/unit/nn/dropout_test.ts checks that the committed binary is this
;; text compiled.
;;
;; fill(pairs, counter, threshold, keepBits) writes 2 * pairs 32-bit words from byte
;; offset 0 of the exported memory, for pairs a multiple of 4 and at most 8192 (the
;; 64 KiB page). For j = 0 .. pairs - 1, with h = fmix32(counter + j) (MurmurHash3's
;; 32-bit finaliser; all arithmetic modulo 2^32):
;;   word 2j     = keepBits if (h & 0xffff) >= threshold else 0
;;   word 2j + 1 = keepBits if (h >>> 16)   >= threshold else 0
;; keepBits is the float32 bit pattern of 1 / (1 - p), threshold round(p * 2^16).
(module
  (memory (export "memory") 1)
  (func (export "fill") (param $pairs i32) (param $counter i32) (param $threshold i32) (param $keepBits i32)
    (local $offset i32) (local $end i32)
    (local $counters v128) (local $h v128) (local $low v128) (local $high v128)
    (local $thresholds v128) (local $keep v128)
    (local.set $counters
      (i32x4.add (i32x4.splat (local.get $counter)) (v128.const i32x4 0 1 2 3)))
    (local.set $thresholds (i32x4.splat (local.get $threshold)))
    (local.set $keep (i32x4.splat (local.get $keepBits)))
    ;; 8 bytes of output per pair.
    (local.set $end (i32.shl (local.get $pairs) (i32.const 3)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $offset) (local.get $end)))
        ;; fmix32 of four consecutive counters.
        (local.set $h (local.get $counters))
        (local.set $h (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 16))))
        (local.set $h (i32x4.mul (local.get $h) (i32x4.splat (i32.const 0x85ebca6b))))
        (local.set $h (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 13))))
        (local.set $h (i32x4.mul (local.get $h) (i32x4.splat (i32.const 0xc2b2ae35))))
        (local.set $h (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 16))))
        ;; keepBits where the 16-bit draw is at least the threshold, else 0.
        (local.set $low
          (v128.andnot (local.get $keep)
            (i32x4.lt_u
              (v128.and (local.get $h) (v128.const i32x4 0xffff 0xffff 0xffff 0xffff))
              (local.get $thresholds))))
        (local.set $high
          (v128.andnot (local.get $keep)
            (i32x4.lt_u (i32x4.shr_u (local.get $h) (i32.const 16)) (local.get $thresholds))))
        ;; Interleave: low0 high0 low1 high1 | low2 high2 low3 high3.
        (v128.store (local.get $offset)
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $low) (local.get $high)))
        (v128.store offset=16 (local.get $offset)
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $low) (local.get $high)))
        (local.set $counters (i32x4.add (local.get $counters) (v128.const i32x4 4 4 4 4)))
        (local.set $offset (i32.add (local.get $offset) (i32.const 32)))
        (br $next)))))
