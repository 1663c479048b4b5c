#!/usr/bin/python3
"""Turns jobs/benchmark.sh's results into a table, pass/fail lines, BENCHMARKS.md and a plot.

    report.py RESULTS_DIR BENCHMARKS.md BENCHMARKS.png COMMAND
"""
import datetime
import json
import os
import platform
from statistics import median
import subprocess
import sys

WORKLOADS = [
    ("headline", "192 x L 1024, E 256, H 8"),
    ("headline-1file", "the headline in one file of one row group"),
    ("long", "8 x L 4096, E 256, H 8"),
    ("short", "20000 x L 8..64, E 256, H 8"),
    ("skewed", "3000 x L 16..128 + 6 x L 3072, E 256, H 8"),
    ("headline-x8", "1536 x L 1024, E 256, H 8"),
    ("tiny", "10^7 x L 1..2, E 4, H 1, one file, local mode in a 2 GB heap"),
    ("short-e128", "120000 x L 4..48, E 128, H 4, one file"),
    ("short-e256", "80000 x L 8..64, E 256, H 8, one file"),
    ("short-e128-30k", "30000 x L 4..48, E 128, H 4, one file"),
]

# The short-sequence workloads with targets (job end to end against torch f64 and f32).
SHORT_TARGETS = {"short-e128", "short-e256"}

# The job on next to nothing (2 x L 4, E 256, H 8): what a run costs before any work, its floor.
FLOOR = "floor"

# Each workload's target against torch float64 (the float32 one is 1x for all of them).
F64_TARGETS = {"headline": 2, "headline-1file": 2, "long": 2, "short-e128": 1.5, "short-e256": 1.5}

# One point per length and shape in the plot (E = 256, H = 8): not the headline's variants.
NOT_PLOTTED = {"headline-x8", "headline-1file", "tiny", "short-e128", "short-e256",
               "short-e128-30k"}


# maps=summary and maps=topk against maps=none, by medians of rounds run in turn: at most this
# much end to end, and at most this share of the bytes of maps=heads (its float32 values).
STATISTICS_COST = 1.15
STATISTICS_BYTES = 0.05


def statistics_checks(results, name, off_runs, lengths):
    """The pass/fail lines of maps=summary and maps=topk against maps=none (same rounds)."""
    checks = []
    none_walls = [r["process_wall_seconds"] for r in off_runs]
    heads = int(off_runs[0]["provenance"]["settings"]["heads"])
    heads_bytes = 4 * heads * sum(n * n for n in lengths)  # self-attention: S' = L
    for mode in ("summary", "topk"):
        runs = load(os.path.join(results, f"{name}.{mode}.json"))
        if not runs:
            continue
        walls = [r["process_wall_seconds"] for r in runs]
        ratio = median(walls) / median(none_walls)
        map_bytes = median([r["map_bytes"] for r in runs])
        share = map_bytes / heads_bytes
        checks.append((
            f"{name} maps={mode}: {median(walls):.1f} s against maps=none {median(none_walls):.1f} s "
            f"(medians; rounds {', '.join(f'{w:.1f}' for w in walls)} against "
            f"{', '.join(f'{w:.1f}' for w in none_walls)}): {ratio:.2f}x (target <= "
            f"{STATISTICS_COST:g}x); {map_bytes / 1e6:.1f} MB of maps, {100 * share:.2f}% "
            f"of maps=heads' float32 values (target <= {100 * STATISTICS_BYTES:g}%)",
            ratio <= STATISTICS_COST and share <= STATISTICS_BYTES))
    return checks


# Where the hand-written design measurements start in BENCHMARKS.md.
KEPT_HEADING = "## Design measurements"

def load(path):
    try:
        with open(path) as f:
            return [json.loads(l) for l in f if l.strip()]
    except FileNotFoundError:
        return []


def cpu():
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def against_torch(name, wall, t64, t32, f64_target):
    """The pass/fail lines of a job's wall time against torch float64 and float32 (target 1x)."""
    lines = []
    for dtype, t, target in (("f64", t64, f64_target), ("f32", t32, 1)):
        ratio = t["seconds"] / wall
        lines.append((f"{name}, maps off: job end to end {wall:.1f} s vs torch {dtype} compute "
                      f"{t['seconds']:.1f} s: {ratio:.2f}x (target >= {target:g}x)", ratio >= target))
    return lines


def kernel_seconds(run):
    """The kernel's share of a run's wall time: its task time over the two cores (None in results
    older than the field)."""
    return run["task_seconds"]["compute"] / 2 if "task_seconds" in run else None


def time_split(rows, floor, floor_runs):
    """Where each workload's wall time goes: the floor run's, the kernel's, the rest."""
    walls = ", ".join(f"{r['process_wall_seconds']:.1f}" for r in floor_runs)
    lines = [f"Where the time goes. The floor: the job on 2 x L 4 (E 256, H 8), {floor:.1f} s "
             f"(median of {walls}): JVM and Spark start, planning, the stage, commit, exit. The "
             "kernel: its task time over the two cores. The rest: reading, writing, the JIT's "
             "compiling for them, and the kernel's first sequences beyond JMH's speed. Floor + "
             "kernel is what the job would take if reading and writing cost nothing.",
             "",
             "| workload | job s | floor s | kernel s | rest s | floor + kernel s "
             "| torch f64 / f32 s | floor + kernel against f64 / f32 |",
             "|---|---|---|---|---|---|---|---|"]
    for name, _, off, _, wall, _, _, t64, t32, _ in rows:
        kernel = kernel_seconds(off)
        if kernel is None:
            continue
        bound = floor + kernel
        lines.append(f"| {name} | {wall:.1f} | {floor:.1f} | {kernel:.1f} | "
                     f"{wall - floor - kernel:.1f} | {bound:.1f} | {t64['seconds']:.1f} / "
                     f"{t32['seconds']:.1f} | {t64['seconds'] / bound:.2f} / "
                     f"{t32['seconds'] / bound:.2f} |")
    return lines


def floor_checks(rows, floor):
    """What each target against torch leaves the job, beside the floor and the kernel."""
    checks = []
    for name, _, off, _, wall, _, _, t64, t32, _ in rows:
        kernel = kernel_seconds(off)
        if name not in F64_TARGETS or kernel is None:
            continue
        budget = min(t64["seconds"] / F64_TARGETS[name], t32["seconds"])
        checks.append((f"{name}: the targets ask for <= {budget:.1f} s end to end; the floor "
                       f"{floor:.1f} s and the kernel {kernel:.1f} s alone take "
                       f"{floor + kernel:.1f} s, the rest {wall - floor - kernel:.1f} s", None))
    return checks


def main():
    results, md_path, png_path, command = sys.argv[1:5]
    dgemm = load(os.path.join(results, "dgemm.json"))
    dgemm_gflops = dgemm[0]["dgemm_gflops_per_second"] if dgemm else float("nan")
    dd = open(os.path.join(results, "dd.txt")).read().strip() if os.path.exists(
        os.path.join(results, "dd.txt")) else "n/a"
    rows, checks, plot = [], [], []
    runs = 1
    for name, shape in WORKLOADS:
        off_runs = load(os.path.join(results, f"{name}.none.json"))
        on = load(os.path.join(results, f"{name}.mean.json"))
        torch = {r["dtype"]: r for r in load(os.path.join(results, f"{name}.torch.jsonl"))}
        if not off_runs or not torch:
            continue
        # The run of median wall time, whole (its split belongs to it).
        job_runs = len(off_runs)
        off = sorted(off_runs, key=lambda r: r["process_wall_seconds"])[job_runs // 2]
        on = on[0] if on else None
        lengths = [int(x) for x in open(os.path.join(
            os.path.dirname(results), "data", name, "lengths.txt")).read().split()]
        mean_len = sum(lengths) / len(lengths)
        flops = off["attention_gflop"]
        wall = off["process_wall_seconds"]
        split = off["wall_split_seconds"]
        kernel_gflops = 2 * off["kernel_gflops_per_core_second"]  # two tasks at once
        t64, t32 = torch["float64"], torch["float32"]
        rows.append((name, shape, off, on, wall, flops, kernel_gflops, t64, t32, len(lengths)))
        runs = max(runs, job_runs)
        if name not in NOT_PLOTTED:
            plot.append((name, mean_len, kernel_gflops, flops / wall, t64["gflops_per_second"],
                         t32["gflops_per_second"]))
        if name in ("headline", "headline-1file"):
            checks += against_torch(name, wall, t64, t32, 2)
        checks += statistics_checks(results, name, off_runs, lengths)
        if name == "tiny":
            written = off["rows_written"] == len(lengths)
            checks.append((f"tiny: {off['rows_written']} of {len(lengths)} rows written in "
                           f"{wall:.1f} s end to end (target: all, <= 60 s); "
                           f"torch f64 {t64['seconds']:.1f} s, f32 {t32['seconds']:.1f} s",
                           written and wall <= 60))
            per_row = off.get("task_microseconds_per_row")  # absent from older runs' results
            if per_row:
                checks.append((f"tiny: {per_row['outside_kernel']:.1f} us of task time per row "
                               f"outside the kernel (target <= 5), {per_row['kernel']:.1f} us in it",
                               per_row["outside_kernel"] <= 5))
        if name == "headline":
            checks.append((f"headline kernel phase {kernel_gflops:.1f} GFLOP/s = "
                           f"{100 * kernel_gflops / dgemm_gflops:.0f}% of 2-core dgemm "
                           f"{dgemm_gflops:.1f} GFLOP/s (target >= 60%)",
                           kernel_gflops >= 0.6 * dgemm_gflops))
            if on:
                extra = on["process_wall_seconds"] - wall
                mb = on["map_bytes"] / 1e6
                checks.append((f"headline maps=mean: {mb:.0f} MB of maps cost {extra:.1f} s more "
                               f"({mb / max(extra, 1e-9):.0f} MB/s; disk: {dd})", None))
        if name in SHORT_TARGETS:
            checks += against_torch(name, wall, t64, t32, 1.5)
        if name == "short-e128-30k":
            checks.append((f"short-e128 at 30000 sequences (not a target): job {wall:.1f} s, "
                           f"{t64['seconds'] / wall:.2f}x torch f64 ({t64['seconds']:.1f} s), "
                           f"{t32['seconds'] / wall:.2f}x torch f32 ({t32['seconds']:.1f} s)", None))
        if name == "headline-x8":
            checks.append((f"headline shapes at 8x the sequences (not a target): job {wall:.1f} s, "
                           f"{t64['seconds'] / wall:.2f}x torch f64 ({t64['seconds']:.1f} s), "
                           f"{t32['seconds'] / wall:.2f}x torch f32 ({t32['seconds']:.1f} s)", None))
        if name == "long":
            checks.append((f"L 4096: job end to end {wall:.1f} s vs torch f64 {t64['seconds']:.1f} s: "
                           f"{t64['seconds'] / wall:.2f}x (target >= 2x)", t64["seconds"] / wall >= 2))

    lines = []
    lines.append("| workload | sequences | job wall s (maps off) | spark start / read / compute / write s "
                 "| seq/s | attention GFLOP | job GFLOP/s | kernel GFLOP/s (2 tasks) | job wall s (maps=mean) "
                 "| torch f64 s | torch f32 s | f64 / job | f32 / job |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, shape, off, on, wall, flops, kg, t64, t32, n in rows:
        s = off["wall_split_seconds"]
        on_wall = f"{on['process_wall_seconds']:.1f}" if on else "n/a"
        lines.append(
            f"| {name}: {shape} | {n} | {wall:.1f} | {s['spark_start']:.1f} / {s['read']:.1f} / "
            f"{s['compute']:.1f} / {s['write']:.1f} | {n / wall:.0f} | {flops:.0f} | "
            f"{flops / wall:.1f} | {kg:.1f} | {on_wall} | {t64['seconds']:.1f} | {t32['seconds']:.1f} | "
            f"{t64['seconds'] / wall:.2f} | {t32['seconds'] / wall:.2f} |")
    floor_runs = load(os.path.join(results, f"{FLOOR}.none.json"))
    floor = median([r["process_wall_seconds"] for r in floor_runs]) if floor_runs else None
    if floor is not None:
        lines.append("")
        lines += time_split(rows, floor, floor_runs)
        checks += floor_checks(rows, floor)
    # The latest job run's (results of older runs may predate the field).
    latest = max((r[2] for r in rows), key=lambda r: r["provenance"]["ended_utc"], default={})
    products = latest.get("products", "n/a")
    table = "\n".join(lines)
    check_lines = [("PASS " if ok else ("FAIL " if ok is False else "INFO ")) + text for text, ok in checks]
    print(table)
    print()
    print(f"Kernel products in the job: {products}; 2-core dgemm: {dgemm_gflops:.1f} GFLOP/s")
    for c in check_lines:
        print(c)

    if plot:
        draw(plot, dgemm_gflops, png_path)
    else:
        print(f"(no E = 256 workload in these results: {png_path} left as it was)")

    # The hand-written measurements after KEPT_HEADING survive a regeneration.
    kept = ""
    if os.path.exists(md_path):
        old = open(md_path).read()
        if KEPT_HEADING in old:
            kept = old[old.index(KEPT_HEADING):]
    with open(md_path, "w") as f:
        f.write("# Benchmarks\n\n")
        f.write(f"Made by `{command.strip()}` on {datetime.date.today()}: {os.cpu_count()} cores "
                f"({cpu()}), {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**30} GiB, "
                f"{platform.platform()}, Java 17, Spark 4.1.0 local[2], kernel products {products} "
                f"(one task per core), torch "
                f"{rows[0][7]['torch'] if rows else '?'} with OpenBLAS ("
                f"{rows[0][7].get('openblas_coretype', 'kernels as detected') if rows else '?'} "
                f"kernels, BLAS threads {rows[0][7].get('blas_threads', '1') if rows else '?'}), "
                "2 threads, at its best: "
                "sequences sorted by length, batches of 256 padded with a key_padding_mask (of 4 "
                "from L = 1024 on).\n\n")
        f.write("The job's wall time is the whole `jobs/attention.sh` process (JVM and Spark start, "
                "Parquet read, compute, Parquet write, commit), maps off the median of "
                f"{runs} runs (the split is that run's), maps=mean one run; torch's is its compute "
                "alone on tensors already in memory (median of 3). GFLOP/s count the same FLOPs for both "
                "(projections and attention of the real, unpadded lengths). The machine is shared "
                "and noisy: compare within one run.\n\n")
        f.write(table + "\n\n")
        f.write(f"2-core dgemm (one single-threaded dgemm per core): {dgemm_gflops:.1f} GFLOP/s. "
                f"Disk write (dd, 512 MB): {dd}.\n\n")
        f.write("Targets:\n\n")
        for c in check_lines:
            f.write(f"- {c}\n")
        f.write(f"\n![GFLOP/s against sequence length]({os.path.basename(png_path)})\n")
        if kept:
            f.write("\n" + kept)


def draw(plot, dgemm_gflops, png_path):
    """The plot of GFLOP/s by mean length: job kernel, job end to end, torch float64 and float32."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    pts = sorted(plot, key=lambda p: p[1])
    xs = [p[1] for p in pts]
    for idx, label in [(2, "job kernel phase (2 tasks)"), (3, "job end to end"),
                       (4, "torch float64 (2 threads)"), (5, "torch float32 (2 threads)")]:
        ax.plot(xs, [p[idx] for p in pts], marker="o", label=label)
    for p in pts:
        ax.annotate(p[0], (p[1], p[3]), textcoords="offset points", xytext=(4, -12), fontsize=8)
    ax.axhline(dgemm_gflops, color="grey", linestyle="--", label="dgemm, 2 cores")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("mean sequence length L (self-attention, E = 256, H = 8)")
    ax.set_ylabel("GFLOP/s (same FLOP count for all)")
    ax.set_title("spark-attention vs torch.nn.MultiheadAttention, same 2 cores")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)


if __name__ == "__main__":
    main()
