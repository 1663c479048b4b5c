#!/usr/bin/python3
"""Recomputes the rows jobs/check-torch.sh exported with torch.nn.MultiheadAttention in float64
and prints the largest differences from what the run wrote (outputs, maps, summary statistics).
Exit 0 when every written value is PyTorch's within float32 rounding, 1 otherwise."""
import json
import math
import struct
import sys

try:
    import torch
except ImportError:
    print("error: PyTorch is not installed for " + sys.executable + ": on Debian or Ubuntu "
          "`sudo apt-get install python3-torch` (then this script runs with /usr/bin/python3), "
          "elsewhere `pip install torch`.", file=sys.stderr)
    sys.exit(2)

DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    tensors = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        start, end = t["data_offsets"]
        raw = bytearray(data[8 + n + start:8 + n + end])
        tensors[name] = torch.frombuffer(raw, dtype=DTYPES[t["dtype"]]).reshape(t["shape"]).to(torch.float64)
    return tensors


def layer(meta, folder):
    settings = meta["settings"]
    state = read_safetensors(folder + "/" + meta["weights"])
    prefix = settings.get("weights.prefix", "")
    if prefix and not prefix.endswith("."):
        prefix += "."
    state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    e, heads = meta["embed_dim"], int(settings["heads"])
    mha = torch.nn.MultiheadAttention(
        e, heads, bias="in_proj_bias" in state, add_bias_kv="bias_k" in state,
        add_zero_attn=settings.get("add_zero_attn") == "true", kdim=meta["kdim"], vdim=meta["vdim"],
        batch_first=True, dtype=torch.float64)
    keep = set(mha.state_dict().keys())
    mha.load_state_dict({k: v.reshape(mha.state_dict()[k].shape) for k, v in state.items() if k in keep})
    if settings.get("scale"):  # a custom softmax scale: the same as scaling the query projection
        factor = float(settings["scale"]) * math.sqrt(e / heads)
        with torch.no_grad():
            weight = mha.in_proj_weight if mha.in_proj_weight is not None else mha.q_proj_weight
            weight[:e] *= factor
            if mha.in_proj_bias is not None:
                mha.in_proj_bias[:e] *= factor
    return mha.eval(), heads


class Worst:
    """The largest difference of one kind, relative to float32 rounding of the expected value."""

    def __init__(self, name):
        self.name, self.values, self.abs, self.ratio = name, 0, 0.0, 0.0

    def add(self, written, expected):
        diff = (written - expected).abs()
        allowed = expected.abs() * 2.0 ** -23 + 1e-12
        self.values += diff.numel()
        self.abs = max(self.abs, float(diff.max()) if diff.numel() else 0.0)
        self.ratio = max(self.ratio, float((diff / allowed).max()) if diff.numel() else 0.0)

    def line(self):
        verdict = "within float32 rounding" if self.ratio <= 1 else "BEYOND float32 rounding"
        return f"{self.name:<22} {self.values:>12} values  max |diff| {self.abs:.3e}  ({self.ratio:.2f} of a float32 rounding step: {verdict})"


def main(folder):
    meta = json.load(open(folder + "/sample.json"))
    t = read_safetensors(folder + "/sample.safetensors")
    mha, heads = layer(meta, folder)
    settings, maps = meta["settings"], meta["maps"]
    worst = {k: Worst(k) for k in ["output", "map", "entropy", "max_weight", "first_key_weight", "mean_distance"]}
    for entry in meta["ids"]:
        r = entry["tensor"]
        if r + ".output" not in t:
            continue
        q, k, v = t[r + ".query"], t[r + ".key"], t[r + ".value"]
        mask = t.get(r + ".mask")
        length, keys = q.shape[0], k.shape[0]
        attn_mask = torch.triu(torch.ones(length, keys, dtype=torch.bool), 1) if settings.get("causal") == "true" else None
        with torch.no_grad():
            out, w = mha(q[None], k[None], v[None], key_padding_mask=None if mask is None else mask[None].bool(),
                         attn_mask=attn_mask, need_weights=True, average_attn_weights=False)
        out, w = out[0], w[0]
        # A query that sees no key: PyTorch gives NaN, the job a zero attention row (its output is
        # out_proj.bias), as its README says.
        seen = ~torch.isnan(w).any(dim=2)
        w = torch.nan_to_num(w, nan=0.0)
        out = torch.where(seen.all(dim=0)[:, None], out, mha.out_proj.bias.expand_as(out))
        worst["output"].add(t[r + ".output"], out)
        if maps == "heads":
            for h in range(heads):
                if f"{r}.map.{h}" in t:
                    worst["map"].add(t[f"{r}.map.{h}"], w[h])
        elif maps == "mean":
            worst["map"].add(t[r + ".map.mean"], w.mean(dim=0))
        elif maps == "summary":
            index = torch.arange(w.shape[2], dtype=torch.float64)
            for h in range(heads):
                name = f"{r}.summary.{h}."
                if name + "entropy" not in t:
                    continue
                p = w[h]
                logp = torch.where(p > 0, p.log(), torch.zeros_like(p))
                expected = {
                    "entropy": -(p * logp).sum(dim=1),
                    "max_weight": p.max(dim=1).values,
                    "first_key_weight": p[:, 0],
                    "mean_distance": (p * (torch.arange(length, dtype=torch.float64)[:, None] - index).abs()).sum(dim=1),
                }
                for column, value in expected.items():
                    worst[column].add(t[name + column], value)
    print(f"{len(meta['ids'])} rows of the run recomputed with torch {torch.__version__} (float64):")
    ok = True
    for w in worst.values():
        if w.values:
            print("  " + w.line())
            ok = ok and w.ratio <= 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
