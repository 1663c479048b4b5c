# Sourced by the benchmarks: OpenBLAS's kernels for this CPU, for the dgemm baseline and for torch.
# OpenBLAS picks its kernels from the CPU model, and Debian's 0.3.21 falls back to generic
# "Prescott" kernels on models newer than it knows: on an Emerald Rapids machine (model 207) torch's
# float64 matmul ran at 30 instead of 139 GFLOP/s. Unless OPENBLAS_CORETYPE is set, it is named from
# the CPU's flags: SkylakeX kernels with AVX-512, Haswell kernels with AVX2.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ -r /proc/cpuinfo ]; then
  if grep -qw avx512f /proc/cpuinfo; then
    export OPENBLAS_CORETYPE=SkylakeX
  elif grep -qw avx2 /proc/cpuinfo; then
    export OPENBLAS_CORETYPE=Haswell
  fi
fi
