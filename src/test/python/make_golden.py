#!/usr/bin/python3
"""Golden fixtures from the real torch.nn.MultiheadAttention (eval mode, float64).

Run with Debian's torch (apt-get install python3-torch):
    /usr/bin/python3 src/test/python/make_golden.py src/test/resources/golden

For each case it writes:
  <case>.weights.safetensors  the layer's state_dict (optionally under a prefix, beside other
                              tensors, in F64/F32/F16/BF16)
  <case>.data.safetensors     F64 tensors: query, key, value, key_padding_mask (1.0 = ignored),
                              output (L, E), maps_heads (H, L, S'), maps_mean (L, S')
and cases.json with each case's options. A query that sees no key is NaN in PyTorch; the
project's contract writes zeros there (output = out_proj.bias), so the expected values are
set that way, and counted as 'fully_masked'.
"""
import json
import math
import os
import struct
import sys

import torch
from torch import nn

DTYPES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def save_safetensors(path, tensors, dtype=torch.float64):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().to(dtype).contiguous()
        if dtype in (torch.float16, torch.bfloat16):
            raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": DTYPES[dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt", "made_by": "make_golden.py"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


CASES = [
    # name, dict of options
    dict(name="self_basic", E=16, H=4, L=7),
    dict(name="self_one_head", E=8, H=1, L=5),
    dict(name="self_one_token", E=16, H=2, L=1),
    dict(name="self_larger", E=32, H=4, L=70),
    dict(name="cross_kdim_vdim", E=16, H=4, L=6, S=9, kdim=12, vdim=20),
    dict(name="cross_long_query", E=16, H=2, L=11, S=4, cross=True),
    dict(name="no_bias", E=16, H=4, L=9, bias=False),
    dict(name="add_bias_kv", E=16, H=4, L=6, add_bias_kv=True),
    dict(name="add_zero_attn", E=16, H=4, L=6, add_zero_attn=True),
    dict(name="bias_kv_zero_attn_padding", E=16, H=2, L=8, add_bias_kv=True,
         add_zero_attn=True, kpm=[0, 3, 4]),
    dict(name="key_padding_mask", E=16, H=4, L=10, kpm=[1, 2, 7]),
    dict(name="causal", E=16, H=4, L=13, causal=True),
    dict(name="causal_cross_short_keys", E=16, H=2, L=9, S=5, causal=True, cross=True),
    dict(name="causal_cross_long_keys", E=16, H=2, L=5, S=9, causal=True, cross=True),
    dict(name="causal_fully_masked", E=16, H=4, L=8, causal=True, kpm=[0, 1, 2]),
    dict(name="all_keys_masked", E=8, H=2, L=4, kpm=[0, 1, 2, 3]),
    dict(name="custom_scale", E=16, H=4, L=7, scale=0.7),
    dict(name="prefix_f32", E=16, H=4, L=6, prefix="encoder.layers.0.self_attn.",
         wdtype=torch.float32),
    dict(name="weights_f16", E=16, H=2, L=5, wdtype=torch.float16),
    dict(name="weights_bf16", E=16, H=2, L=5, wdtype=torch.bfloat16),
]


def make_case(c, outdir, seed):
    torch.manual_seed(seed)
    E, H, L = c["E"], c["H"], c["L"]
    S = c.get("S", L)
    kdim, vdim = c.get("kdim", E), c.get("vdim", E)
    cross = c.get("cross", False) or S != L or kdim != E or vdim != E
    mha = nn.MultiheadAttention(E, H, bias=c.get("bias", True), add_bias_kv=c.get("add_bias_kv", False),
                                add_zero_attn=c.get("add_zero_attn", False), kdim=kdim, vdim=vdim,
                                batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        # Non-trivial biases (PyTorch initialises in_proj_bias and out_proj.bias to zero).
        for name, p in mha.named_parameters():
            if "bias" in name:
                p.uniform_(-0.5, 0.5)
        wdtype = c.get("wdtype", torch.float64)
        # Round weights to the stored dtype so that the file and the computation agree exactly.
        for p in mha.parameters():
            p.copy_(p.to(wdtype).to(torch.float64))
    mha.eval()

    q = torch.randn(L, E, dtype=torch.float64)
    k = q if not cross else torch.randn(S, kdim, dtype=torch.float64)
    v = q if not cross else torch.randn(S, vdim, dtype=torch.float64)
    kpm = torch.zeros(S, dtype=torch.bool)
    for j in c.get("kpm", []):
        kpm[j] = True
    attn_mask = torch.triu(torch.ones(L, S, dtype=torch.bool), 1) if c.get("causal") else None

    scale = c.get("scale")
    module = mha
    if scale is not None:
        # torch 1.13's MHA has no scale argument: scaling W_q and b_q by scale*sqrt(head_dim)
        # gives softmax(scale * q k^T) exactly as a custom scale would.
        import copy
        module = copy.deepcopy(mha)
        f = scale * math.sqrt(E // H)
        with torch.no_grad():
            if module.in_proj_weight is not None:
                module.in_proj_weight[:E] *= f
            else:
                module.q_proj_weight *= f
            if module.in_proj_bias is not None:
                module.in_proj_bias[:E] *= f

    with torch.no_grad():
        out, heads = module(q[None], k[None], v[None], key_padding_mask=kpm[None] if kpm.any() else None,
                            attn_mask=attn_mask, need_weights=True, average_attn_weights=False)
        _, mean = module(q[None], k[None], v[None], key_padding_mask=kpm[None] if kpm.any() else None,
                         attn_mask=attn_mask, need_weights=True, average_attn_weights=True)
    out, heads, mean = out[0], heads[0], mean[0]
    nan_rows = torch.isnan(out).any(dim=1)
    fully_masked = int(nan_rows.sum())
    if fully_masked:
        bias = mha.out_proj.bias if mha.out_proj.bias is not None else torch.zeros(E, dtype=torch.float64)
        out[nan_rows] = bias
        heads[:, nan_rows] = 0.0
        mean[nan_rows] = 0.0
    assert not torch.isnan(out).any() and not torch.isnan(heads).any() and not torch.isnan(mean).any()

    prefix = c.get("prefix", "")
    state = {prefix + n: t for n, t in mha.state_dict().items()}
    if prefix:
        # A larger checkpoint: other layers' tensors beside the attention layer.
        state["encoder.layers.0.linear1.weight"] = torch.randn(2 * E, E, dtype=torch.float64)
        state["encoder.layers.1.self_attn.in_proj_weight"] = torch.randn(3 * E, E, dtype=torch.float64)
        state["embedding.weight"] = torch.randn(10, E, dtype=torch.float64)
    save_safetensors(os.path.join(outdir, c["name"] + ".weights.safetensors"), state,
                     c.get("wdtype", torch.float64))
    save_safetensors(os.path.join(outdir, c["name"] + ".data.safetensors"), {
        "query": q, "key": k, "value": v, "key_padding_mask": kpm.to(torch.float64),
        "output": out, "maps_heads": heads, "maps_mean": mean})
    return {
        "name": c["name"], "heads": H, "embed_dim": E, "kdim": kdim, "vdim": vdim,
        "query_len": L, "key_len": S, "self_attention": not cross,
        "causal": bool(c.get("causal", False)), "add_zero_attn": bool(c.get("add_zero_attn", False)),
        "add_bias_kv": bool(c.get("add_bias_kv", False)), "bias": bool(c.get("bias", True)),
        "has_key_padding_mask": bool(kpm.any()), "scale": scale, "prefix": prefix,
        "weights_dtype": DTYPES[c.get("wdtype", torch.float64)], "fully_masked": fully_masked,
        "map_width": heads.shape[-1],
    }


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/golden"
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    torch.set_grad_enabled(False)
    meta = [make_case(c, outdir, 1000 + i) for i, c in enumerate(CASES)]
    with open(os.path.join(outdir, "cases.json"), "w") as f:
        json.dump({"torch_version": torch.__version__, "cases": meta}, f, indent=1)
    print(f"wrote {len(meta)} cases to {outdir} with torch {torch.__version__}")


if __name__ == "__main__":
    main()
