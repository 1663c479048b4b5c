#!/usr/bin/python3
"""The sample attention layer: a real torch.nn.MultiheadAttention(32, 4) state_dict as safetensors.

Run with Debian's torch (apt-get install python3-torch) from the repository root:
    /usr/bin/python3 data-samples/make_samples.py
data-samples/make_samples.sh runs this and makes the sample input.
"""
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src", "test", "python"))
from make_golden import save_safetensors  # noqa: E402

torch.manual_seed(2026)
layer = nn.MultiheadAttention(32, 4, batch_first=True)
with torch.no_grad():
    layer.in_proj_bias.uniform_(-0.1, 0.1)
    layer.out_proj.bias.uniform_(-0.1, 0.1)
out = os.path.join(os.path.dirname(__file__), "mha_e32_h4.safetensors")
save_safetensors(out, layer.state_dict(), torch.float32)
print(f"wrote {out} with torch {torch.__version__}")
