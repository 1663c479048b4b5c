#!/usr/bin/python3
"""Times torch.nn.MultiheadAttention (eval, need_weights=False) on in-memory tensors of the
same shapes as a benchmark workload; prints one JSON line per dtype.

    /usr/bin/python3 jobs/bench/torch_mha.py --lengths-file L.txt --embed-dim 256 --heads 8 \
        --threads 2 --batch 256 --long-batch 4 --long-from 1024 --dtypes float64,float32

Torch at its best: sequences sorted by length, batched --batch at a time (--long-batch from
length --long-from on, where a batch's L x L scores are large); a batch is padded to its longest
sequence with a key_padding_mask (that is how variable lengths reach PyTorch). GFLOP/s count the
real (unpadded) work with the job's own formula, so the two are comparable.
"""
import argparse
import json
import os
import time

import torch
from torch import nn


def flops(l, s, e):
    return 4.0 * l * e * e + 2.0 * s * e * (2 * e) + 4.0 * l * s * e


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lengths-file", required=True)
    ap.add_argument("--embed-dim", type=int, default=256)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--long-batch", type=int, default=4)
    ap.add_argument("--long-from", type=int, default=1024)
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_grad_enabled(False)
    lengths = sorted(int(x) for x in open(a.lengths_file).read().split())
    total_flops = sum(flops(l, l, a.embed_dim) for l in lengths)
    for name in a.dtypes.split(","):
        dtype = getattr(torch, name)
        torch.manual_seed(0)
        mha = nn.MultiheadAttention(a.embed_dim, a.heads, batch_first=True, dtype=dtype).eval()
        batches = []
        i = 0
        while i < len(lengths):
            long = lengths[i] >= a.long_from
            ls = lengths[i:i + (a.long_batch if long else a.batch)]
            if not long:  # a batch of short sequences stops before the first long one
                ls = [l for l in ls if l < a.long_from]
            i += len(ls)
            longest = ls[-1]  # sorted
            x = torch.randn(len(ls), longest, a.embed_dim, dtype=dtype)
            mask = None
            if ls[0] != longest:
                mask = torch.arange(longest)[None, :] >= torch.tensor(ls)[:, None]
            batches.append((x, mask))
        mha(batches[0][0], batches[0][0], batches[0][0], key_padding_mask=batches[0][1],
            need_weights=False)  # warm-up
        times = []
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            for x, mask in batches:
                mha(x, x, x, key_padding_mask=mask, need_weights=False)
            times.append(time.perf_counter() - t0)
        times.sort()
        median = times[len(times) // 2]
        print(json.dumps({
            "dtype": name, "sequences": len(lengths), "seconds": median,
            "gflops_per_second": total_flops / median / 1e9, "threads": a.threads,
            "batch": a.batch, "long_batch": a.long_batch, "long_from": a.long_from,
            "torch": torch.__version__, "repeats": a.repeats,
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "all"),
            "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", "detected")}))


if __name__ == "__main__":
    main()
