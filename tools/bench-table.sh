#!/usr/bin/env bash
# Prints one table of every criterion result under target/criterion (or $1): benchmark id,
# mean time, and throughput — GFLOP/s when the bench declared its FLOP count as elements,
# GB/s when it declared bytes. The training-step benches count samples, so theirs is samples/s.
set -euo pipefail
root="${1:-${CARGO_TARGET_DIR:-$(dirname "$0")/../target}/criterion}"
[ -d "$root" ] || { echo "no criterion results under $root (run cargo bench first)" >&2; exit 1; }
python3 - "$root" <<'PY'
import json, pathlib, sys
rows = []
for est in sorted(pathlib.Path(sys.argv[1]).glob("**/new/estimates.json")):
    meta = json.loads((est.parent / "benchmark.json").read_text())
    mean_ns = json.loads(est.read_text())["mean"]["point_estimate"]
    tp, rate = meta.get("throughput") or {}, ""
    if "Elements" in tp and meta["group_id"].endswith("_step"):
        rate = f"{tp['Elements'] / mean_ns * 1e9:10.2f} samples/s"
    elif "Elements" in tp:
        rate = f"{tp['Elements'] / mean_ns:10.2f} GFLOP/s"
    elif "Bytes" in tp or "BytesDecimal" in tp:
        rate = f"{tp.get('Bytes', tp.get('BytesDecimal')) / mean_ns:10.2f} GB/s"
    t = mean_ns / 1e9
    shown = f"{t:.3f} s" if t >= 1 else f"{t * 1e3:.3f} ms" if t >= 1e-3 else f"{t * 1e6:.1f} us"
    rows.append((meta["full_id"], shown, rate))
width = max([len(r[0]) for r in rows] + [9])
print(f"{'benchmark':<{width}}  {'mean':>12}  throughput")
for bid, shown, rate in rows:
    print(f"{bid:<{width}}  {shown:>12}  {rate}")
PY
