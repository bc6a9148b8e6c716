#!/usr/bin/env bash
# The prepared GPU check: builds fmcib on a machine with one NVIDIA GPU and a CUDA PyTorch 2.x in
# python3 (no Debian, no network), against PyTorch's own LibTorch and the Debian 12 packages that
# scripts/gpu/fetch-debs.sh fetched, then runs and measures on the GPU:
#   build  only the fmcib binary (FMCIB_BUILD_TESTS=OFF), rpath to the unpacked libraries
#   a      demo pre-training (experiments/demo/pretrain.yaml on make-demo-data data), precision 32
#          and bf16-mixed, accelerator gpu, devices 1
#   b      the paper's model (fmcib_pretrain.yaml: ResNet-50 widen 2, conv1 stride 2, batch 32, 50^3
#          crops, 4 views per item) for 20 steps with `fmcib benchmark --model`: step time, share
#          of the time waiting for data, peak GPU memory; 32 and bf16-mixed
#   c      the same step in PyTorch eager (bench/gpu_step.py, LARS) for the C++ / Python ratio
#   d      `fmcib predict` (experiments/inference/extract_features.yaml) with published-layout
#          weights of the real-size trunk, on the GPU and on the CPU: features within 1e-3 relative
# and prints one summary table (also OUT/summary.txt, .tsv); exit 1 when anything failed.
#
#   scripts/gpu/check.sh DEBDIR [--out DIR] [--work DIR] [--build-dir DIR] [--jobs N]
#                               [--stages build,a,b,c,d] [--time-limit S] [--cpu]
#
# --cpu runs every stage's logic on the CPU at reduced size (no GPU, no nvcc): the demo fit in
# precision 32 and 64, the benchmark on cpu_small.yaml's model, predict of 2 rows compared between
# batch 1 and batch 2. It is how the script itself is tested (bench/README.md, "GPU check").
# --out (default gpu-check/) gets logs and the summary only; --work (default BUILD/work) the data,
# runs and weights (~1 GB); --build-dir (default build-gpucheck/) is reused by a rerun, so a rerun
# of some --stages after a failure costs seconds of build.
# Environment: PYTHON (python3), FMCIB_TORCH_CMAKE_PREFIX (the folder holding Torch/TorchConfig.cmake,
# default torch.utils.cmake_prefix_path; Debian's python3-torch, used to emulate the GPU machine,
# needs /usr/lib/x86_64-linux-gnu/cmake), FMCIB_CMAKE_ARGS (more configure arguments, e.g.
# -DCMAKE_CUDA_HOST_COMPILER=g++-12 when nvcc rejects the default g++), CUDA_HOME,
# FMCIB_CHECK_BUILD_TIMEOUT (seconds for the compile; 360, or 10800 with --cpu), FMCIB_CHECK_COMMIT
# (the commit the summary names where the tree has no git: a copied tree, a chroot).
set -uo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$SRC/scripts/gpu"
usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
case "$1" in -h | --help) usage ;; esac
DEBDIR=$(cd "$1" 2>/dev/null && pwd) || { echo "check.sh: no folder $1" >&2; exit 2; }
shift
OUT="$PWD/gpu-check"
BUILD="$SRC/build-gpucheck"
WORK=""
JOBS=$(nproc)
STAGES="build,a,b,c,d"
CPU=0
LIMIT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift ;;
    --work) WORK=$2; shift ;;
    --build-dir) BUILD=$2; shift ;;
    --jobs) JOBS=$2; shift ;;
    --stages) STAGES=$2; shift ;;
    --time-limit) LIMIT=$2; shift ;;
    --cpu) CPU=1 ;;
    *) echo "check.sh: unknown option $1" >&2; usage ;;
  esac
  shift
done
abspath() { mkdir -p "$1" && (cd "$1" && pwd); }
OUT=$(abspath "$OUT")
BUILD=$(abspath "$BUILD")
WORK=$(abspath "${WORK:-$BUILD/work}")
PY=${PYTHON:-python3}
PREFIX="$BUILD/debian12-prefix"
FMCIB="$BUILD/fmcib"
[ -n "$LIMIT" ] || { [ $CPU = 1 ] && LIMIT=0 || LIMIT=480; }  # the GPU check must fit 8 minutes
: >"$OUT/summary.tsv"
START=$(date +%s)
FAILED=0
wants() { [[ ",$STAGES," == *",$1,"* ]]; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
record() {  # record STAGE CHECK STATUS DETAILS
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$OUT/summary.tsv"
  printf '[%s] %-12s %-4s %s\n' "$(date +%H:%M:%S)" "$1" "$3" "$4"
  [ "$3" != FAIL ] || FAILED=1
}
run() {  # run SECONDS LOG CMD...: the command under timeout, output to LOG; its exit status
  local t=$1 log=$2
  shift 2
  echo "+ $*" >"$log"
  timeout --kill-after=15 "$t" "$@" >>"$log" 2>&1
  local rc=$?
  [ $rc -ne 124 ] && [ $rc -ne 137 ] || echo "check.sh: timed out after $t s" >>"$log"
  return $rc
}
why() { grep -v '^+ ' "$1" | tail -n 3 | tr '\n' ' ' | cut -c1-200; }  # the last lines of a failed log
# Timeouts per command (GPU machine: 16 cores; --cpu: the small 2-core CI machine).
if [ $CPU = 1 ]; then T_BUILD=10800 T_FIT=900 T_BENCH=900 T_PY=600 T_PRED=900; else
  T_BUILD=360 T_FIT=120 T_BENCH=150 T_PY=180 T_PRED=180; fi
T_BUILD=${FMCIB_CHECK_BUILD_TIMEOUT:-$T_BUILD}

# ---------------------------------------------------------------- preflight and prefix
preflight() {
  local log="$OUT/preflight.log" info
  info=$("$PY" - <<'EOF' 2>>"$log"
import torch, torch.utils
cuda = torch.cuda.is_available()
print(torch.__version__, int(torch._C._GLIBCXX_USE_CXX11_ABI), torch.version.cuda or "none",
      int(cuda), (torch.cuda.get_device_name() if cuda else "cpu").replace(" ", "_"),
      torch.utils.cmake_prefix_path)
EOF
  ) || { record prep "python3 + torch" FAIL "$PY cannot import torch (see preflight.log)"; return 1; }
  read -r TORCH_VERSION ABI TORCH_CUDA HAS_CUDA DEVICE TORCH_PREFIX <<<"$info"
  TORCH_PREFIX=${FMCIB_TORCH_CMAKE_PREFIX:-$TORCH_PREFIX}
  echo "torch $TORCH_VERSION abi $ABI cuda $TORCH_CUDA available $HAS_CUDA device $DEVICE prefix $TORCH_PREFIX" >>"$log"
  local problems=""
  [ "${TORCH_VERSION%%.*}" -ge 2 ] 2>/dev/null || problems+="torch $TORCH_VERSION is not 2.x; "
  [ "$ABI" = 1 ] || problems+="torch reports _GLIBCXX_USE_CXX11_ABI=0 (pip wheels before 2.7): Debian's C++ libraries use the new ABI, install a PyTorch built with it; "
  [ -f "$TORCH_PREFIX/Torch/TorchConfig.cmake" ] ||
    problems+="no Torch/TorchConfig.cmake under $TORCH_PREFIX (set FMCIB_TORCH_CMAKE_PREFIX); "
  if [ $CPU = 0 ]; then
    [ "$HAS_CUDA" = 1 ] || problems+="torch sees no CUDA device (torch.version.cuda=$TORCH_CUDA); "
    NVCC=$(command -v nvcc || ls "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc" 2>/dev/null || true)
    [ -n "$NVCC" ] || problems+="no nvcc (PATH, CUDA_HOME or /usr/local/cuda); "
    command -v nvidia-smi >/dev/null || echo "no nvidia-smi: peak GPU memory of the C++ runs is not measured" >>"$log"
  fi
  for tool in cmake ninja c++ timeout sha256sum; do
    command -v "$tool" >/dev/null || problems+="$tool is missing; "
  done
  local glibc
  glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
  awk -v v="${glibc:-0}" 'BEGIN { split(v, a, "."); exit !(a[1] > 2 || (a[1] == 2 && a[2] >= 34)) }' ||
    problems+="glibc ${glibc:-unknown} < 2.34 (Debian 12's libraries need 2.34); "
  local cache so
  cache=$(/sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null)
  for so in libz.so.1 libuuid.so.1 libexpat.so.1 libcrypto.so.3; do
    grep -q "^[[:space:]]*$so " <<<"$cache" || problems+="the system has no $so (GDCM and ITK need it); "
  done
  if [ -n "$problems" ]; then record prep "machine" FAIL "$problems"; return 1; fi
  local nvccv=""
  [ -z "${NVCC:-}" ] || nvccv="; nvcc $("$NVCC" --version | grep -o 'release [0-9.]*' | cut -d' ' -f2)"
  record prep "machine" PASS "torch $TORCH_VERSION (CUDA $TORCH_CUDA, ABI 1) on $DEVICE; $(nproc) cores; glibc $glibc$nvccv"
  local reuse=""
  if cmp -s "$DEBDIR/MANIFEST" "$PREFIX/.manifest"; then
    reuse=" (the build folder's prefix of the same MANIFEST reused)"
    echo "prefix of the same MANIFEST exists: not unpacked again" >"$OUT/prefix.log"
  fi
  if [ -n "$reuse" ] || { run 120 "$OUT/prefix.log" "$HERE/prefix.sh" "$DEBDIR" "$PREFIX" &&
    cp "$DEBDIR/MANIFEST" "$PREFIX/.manifest"; }; then
    record prep "debs" PASS "$(grep -c '^[0-9a-f]\{64\} ' "$DEBDIR/MANIFEST") packages, $(awk '/^# total/ {printf "%.1f MB", $(NF-1) / 1e6}' "$DEBDIR/MANIFEST") verified, unpacked into the build folder$reuse"
  else
    record prep "debs" FAIL "$(why "$OUT/prefix.log")"
    return 1
  fi
}

# ---------------------------------------------------------------- build
build() {
  local t0 log="$OUT/build.log" cudaflags="" args=()
  t0=$(now)
  args=(-S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFMCIB_BUILD_TESTS=OFF -DFMCIB_BUILD_BENCH=OFF
    "-DCMAKE_PREFIX_PATH=$TORCH_PREFIX;$PREFIX/usr" "-DCMAKE_MODULE_PATH=$PREFIX/stubs"
    "-DCMAKE_EXE_LINKER_FLAGS=-Wl,--disable-new-dtags -Wl,-rpath,$PREFIX/usr/lib/x86_64-linux-gnu:$PREFIX/usr/lib")
  if [ $CPU = 0 ]; then
    local root site d
    root=$(dirname "$(dirname "$(readlink -f "$NVCC")")")
    args+=("-DCMAKE_CUDA_COMPILER=$NVCC" "-DCUDAToolkit_ROOT=$root" "-DCUDA_TOOLKIT_ROOT_DIR=$root")
    # ProcessGroupNCCL.hpp needs <nccl.h> and the CUDA runtime headers: the toolkit's, then those
    # of PyTorch's nvidia-* wheels (pip's CUDA PyTorch brings NCCL only as a wheel).
    cudaflags="-isystem $root/include"
    site=$("$PY" -c 'import os, torch; print(os.path.dirname(os.path.dirname(torch.__file__)))')
    for d in "$site"/nvidia/*/include; do [ -d "$d" ] && cudaflags+=" -isystem $d"; done
  fi
  args+=("-DCMAKE_CXX_FLAGS=-D_GLIBCXX_USE_CXX11_ABI=$ABI $cudaflags")
  # shellcheck disable=SC2206
  args+=(${FMCIB_CMAKE_ARGS:-})
  if ! run 300 "$log" cmake "${args[@]}"; then
    record build "configure" FAIL "$(grep -m1 -A2 'CMake Error' "$log" | tr '\n' ' ' | cut -c1-200)"
    return 1
  fi
  if ! run "$T_BUILD" "$OUT/build-ninja.log" cmake --build "$BUILD" -j "$JOBS" --target fmcib; then
    local err
    err=$(grep -m1 -B1 -A3 'error' "$OUT/build-ninja.log" | tr '\n' ' ' | cut -c1-240)
    record build "fmcib" FAIL "${err:-$(why "$OUT/build-ninja.log")}"
    return 1
  fi
  local missing
  missing=$(ldd "$FMCIB" 2>&1 | grep -E 'not found|version .* not found' | tr '\n' ' ')
  if [ -n "$missing" ] || ! "$FMCIB" --version >"$OUT/version.log" 2>&1; then
    record build "fmcib" FAIL "the binary does not load: ${missing:-$(why "$OUT/version.log")}"
    return 1
  fi
  local nccl=""
  grep -q FMCIB_WITH_NCCL "$BUILD/build.ninja" && nccl=", with NCCL"
  record build "fmcib" PASS "$(since "$t0") s with -j$JOBS$nccl; $(head -1 "$OUT/version.log")"
}

# ---------------------------------------------------------------- helpers of the run stages
WATCH=""
gpumem_start() {  # samples the GPU's used memory every 0.2 s while a stage runs
  WATCH=""
  [ $CPU = 0 ] && command -v nvidia-smi >/dev/null || return 0
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 >"$1" 2>/dev/null
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 -lms 200 >>"$1" 2>/dev/null &
  WATCH=$!
}
gpumem_stop() {  # prints the peak above the idle baseline (context + caching allocator), or n/a
  if [ -z "$WATCH" ]; then echo "n/a"; return; fi
  kill "$WATCH" 2>/dev/null
  wait "$WATCH" 2>/dev/null
  awk 'NR == 1 { b = $1 } $1 > m { m = $1 } END { if (NR > 1) printf "%.1f GiB", (m - b) / 1024; else print "n/a" }' "$1"
}
make_data() {  # make_data DIR SCANS LESIONS (kept between reruns)
  local stamp="$1/.check-$2-$3"
  [ -f "$stamp" ] && return 0
  rm -rf "$1"
  run 300 "$OUT/data-$(basename "$1").log" "$FMCIB" make-demo-data --out "$1" --scans "$2" --lesions-per-scan "$3" --seed 0 &&
    touch "$stamp"
}
csv_last() {  # csv_last FILE COLUMN: the column's last non-empty value
  "$PY" -c 'import csv, sys
rows = [r.get(sys.argv[2], "") for r in csv.DictReader(open(sys.argv[1]))]
vals = [v for v in rows if v != ""]
print(vals[-1] if vals else "")' "$1" "$2" 2>/dev/null
}
finite() { awk -v x="$1" 'BEGIN { exit !(x != "" && x == x + 0 && x < 1e30 && x > -1e30) }'; }
ACC=gpu
[ $CPU = 0 ] || ACC=cpu
# Demo data (stages a, d; b on the CPU): demo.sh's size on the GPU machine, smaller with --cpu.
DEMO="$WORK/data/demo" DEMO_SIZE="20 6"
[ $CPU = 0 ] || DEMO_SIZE="6 4"
make_demo() {
  # shellcheck disable=SC2086
  make_data "$DEMO" $DEMO_SIZE || { record "$1" "demo data" FAIL "$(why "$OUT/data-demo.log")"; return 1; }
}

# ---------------------------------------------------------------- a: demo pre-training
stage_a() {
  local precisions="32 bf16-mixed" epochs=10
  [ $CPU = 0 ] || { precisions="32 64"; epochs=1; }
  make_demo a || return
  local p
  for p in $precisions; do
    local o="$WORK/a-$p" log="$OUT/a-$p.log" t0 metrics loss
    t0=$(now)
    rm -rf "$o"
    if ! run "$T_FIT" "$log" "$FMCIB" fit --config_file "$SRC/experiments/demo/pretrain.yaml" \
      --vars#data="$DEMO" --vars#out="$o" --seed 0 --trainer#accelerator=$ACC --trainer#devices=1 \
      "--trainer#precision=$p" --trainer#max_epochs=$epochs --trainer#enable_progress_bar=False; then
      record "a/$p" "demo fit" FAIL "$(why "$log")"
      continue
    fi
    metrics=$(ls -t "$o"/logs/pretrain/version_*/metrics.csv 2>/dev/null | head -1)
    loss=$([ -n "$metrics" ] && csv_last "$metrics" "train/loss/epoch")
    local device steps per
    device=$(grep -o "fit: .* on [a-z]*" "$log" | head -1 | awk '{print $NF}')
    steps=$(grep -o "fit finished: .*" "$log" | tail -1 | sed 's/fit finished: //')
    per=$(grep -o "([0-9.]* s per step)" "$log" | tail -1 | tr -d '()')
    if [ "$device" != "$([ $CPU = 0 ] && echo cuda || echo cpu)" ]; then
      record "a/$p" "demo fit" FAIL "ran on '${device:-?}', not on $ACC"
    elif ! finite "$loss" || [ ! -f "$o/checkpoints/pretrain/last.ckpt" ]; then
      record "a/$p" "demo fit" FAIL "loss '${loss}' or no last.ckpt"
    else
      record "a/$p" "demo fit" PASS "$steps, $per, last train/loss/epoch $loss, $(since "$t0") s"
    fi
  done
}

# ---------------------------------------------------------------- b: the paper's model, 20 steps
stage_b() {
  local cfg="$SRC/experiments/pretraining/fmcib_pretrain.yaml" csv="$WORK/b-pretrain.csv" precisions="32 bf16-mixed"
  local steps=20 extra=()
  make_demo b || return
  if [ $CPU = 1 ]; then
    # cpu_small.yaml: the same pipeline with ResNet-50 at a quarter of the width.
    cfg+=",$SRC/experiments/pretraining/cpu_small.yaml"
    csv="$DEMO/pretrain.csv" precisions="32" steps=2 extra=(--system#batch_size=2)
  else
    # The demo's 60 rows repeated to >= 640: 20 batches of 32 in each of the two epochs (the
    # second one is measured). Every row still reads and augments its scan.
    local reps
    reps=$(awk -v n="$(($(wc -l <"$DEMO/pretrain.csv") - 1))" 'BEGIN { print int((640 + n - 1) / n) }')
    { head -n 1 "$DEMO/pretrain.csv"; for _ in $(seq "$reps"); do tail -n +2 "$DEMO/pretrain.csv"; done; } >"$csv"
  fi
  local p
  for p in $precisions; do
    local log="$OUT/b-$p.log" mem
    gpumem_start "$OUT/b-$p.gpumem"
    run "$T_BENCH" "$log" "$FMCIB" benchmark --config_file "$cfg" --model --steps $steps --epochs 2 --seed 0 \
      --trainer#accelerator=$ACC --trainer#devices=1 "--trainer#precision=$p" \
      --system#criterion#gather_distributed=False "--system#datasets#train#path=$csv" "${extra[@]}"
    local rc=$?
    mem=$(gpumem_stop "$OUT/b-$p.gpumem")
    if [ $rc -ne 0 ]; then record "b/$p" "paper model" FAIL "$(why "$log")"; continue; fi
    # The second epoch's line and step row (the first one includes cuDNN's algorithm search).
    local line step
    line=$(grep '^epoch 1:' "$log")
    step=$(awk '/^epoch 1:/ { e = 1 } e && $1 == "step" { printf "%.1f", 1000 * $3 / $4; exit }' "$log")
    if [ -z "$line" ] || [ -z "$step" ]; then record "b/$p" "paper model" FAIL "no second-epoch numbers in $log"; continue; fi
    echo "$step" >"$OUT/b-$p.step_ms"  # for stage c's ratio, also in a rerun of c alone
    local items wait
    items=$(sed -E 's/.* = ([0-9.]+) items\/s.*/\1/' <<<"$line")
    wait=$(sed -E 's/.*\(([0-9.]+%)\).*/\1/' <<<"$line")
    record "b/$p" "paper model" PASS "step $step ms, $items items/s, waiting for data $wait of the time, peak GPU memory $mem"
  done
}

# ---------------------------------------------------------------- c: the same step in PyTorch eager
stage_c() {
  local args=(32 10 --modes "default,bf16" --warmup 3) json="$OUT/c-python.jsonl" log="$OUT/c-python.log" mem
  [ $CPU = 0 ] || args=(2 2 --device cpu --modes default --widen 0.25 --warmup 1)
  rm -f "$json"
  gpumem_start "$OUT/c.gpumem"
  run "$T_PY" "$log" "$PY" "$SRC/bench/gpu_step.py" "${args[@]}" --optimizer lars --json "$json"
  local rc=$?
  mem=$(gpumem_stop "$OUT/c.gpumem")
  if [ $rc -ne 0 ]; then record c "python eager" FAIL "$(why "$log")"; return; fi
  local mode p
  for mode in default bf16; do
    p=32
    [ $mode = default ] || p=bf16-mixed
    local r
    r=$("$PY" -c 'import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["mode"] == sys.argv[2]:
        print("%.1f %s" % (1000 * d["step_median_s"], "%.1f GiB" % d["peak_reserved_gib"] if "peak_reserved_gib" in d else "n/a"))' "$json" $mode)
    [ -n "$r" ] || continue
    local ms=${r%% *} reserved=${r#* } ratio="n/a (no C++ step of stage b)"
    [ ! -s "$OUT/b-$p.step_ms" ] || ratio=$(awk -v c="$(cat "$OUT/b-$p.step_ms")" -v q="$ms" 'BEGIN { printf "%.2f", c / q }')
    record "c/$p" "python eager" PASS "step $ms ms, peak GPU memory $mem (torch reserved $reserved); C++/Python step $ratio"
  done
}

# ---------------------------------------------------------------- d: predict, GPU against CPU
predict_run() {  # predict_run NAME [ENV=VALUE...] -- OVERRIDES...: features-NAME.csv, seconds on stdout
  local name=$1 envs=() t0
  shift
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  t0=$(now)
  rm -f "$WORK/d/features-$name.csv"
  run "$T_PRED" "$OUT/d-$name.log" env "${envs[@]}" "$FMCIB" predict \
    --config_file "$SRC/experiments/inference/extract_features.yaml" \
    "--system#model#weights_path=$WORK/d/weights.torch" "--system#datasets#predict#path=$WORK/d/rows.csv" \
    "--trainer#callbacks#0#path=$WORK/d/features-$name.csv" --system#num_workers=2 --seed 0 "$@" || return 1
  since "$t0"
}
stage_d() {
  local n=16 cand=(--trainer#accelerator=gpu) ref=(--trainer#accelerator=cpu) what="gpu vs cpu"
  # On the CPU alone: batch 1 against batch 2 (eval-mode features must not depend on the batch).
  [ $CPU = 0 ] || { n=2 cand=(--trainer#accelerator=cpu --system#batch_size=1) ref+=(--system#batch_size=2) what="b1 vs b2"; }
  make_demo d || return
  mkdir -p "$WORK/d"
  head -n $((n + 1)) "$DEMO/task1_test.csv" >"$WORK/d/rows.csv"
  if [ ! -s "$WORK/d/weights.torch" ] &&
    ! run "$T_PY" "$OUT/d-weights.log" "$PY" "$HERE/write_weights.py" "$WORK/d/weights.torch"; then
    record d "weights" FAIL "$(why "$OUT/d-weights.log")"
    return
  fi
  local tc tr cmp
  tc=$(predict_run cand -- "${cand[@]}") || { record d "predict" FAIL "$(why "$OUT/d-cand.log")"; return; }
  tr=$(predict_run ref -- "${ref[@]}") || { record d "predict" FAIL "$(why "$OUT/d-ref.log")"; return; }
  local compare=("$PY" "$HERE/compare_features.py" --rtol 1e-3)
  if cmp=$("${compare[@]}" "$WORK/d/features-cand.csv" "$WORK/d/features-ref.csv" 2>&1); then
    record d "predict $what" PASS "$cmp; $tc s / $tr s"
    return
  fi
  # Precision 32 lets cuDNN use TF32 (LibTorch's default, as PyTorch's): say whether that is the cause.
  local notf32="no rerun"
  if [ $CPU = 0 ] && predict_run cand-notf32 NVIDIA_TF32_OVERRIDE=0 -- "${cand[@]}" >/dev/null; then
    notf32=$("${compare[@]}" "$WORK/d/features-cand-notf32.csv" "$WORK/d/features-ref.csv" 2>&1)
  fi
  record d "predict $what" FAIL "$cmp (rtol 1e-3); with NVIDIA_TF32_OVERRIDE=0: $notf32"
}

# ---------------------------------------------------------------- main
summary() {
  local total
  total=$(($(date +%s) - START))
  if [ "$LIMIT" -gt 0 ] && [ $total -gt "$LIMIT" ]; then
    record total "time" FAIL "$total s > $LIMIT s"
  else
    record total "time" PASS "$total s$([ "$LIMIT" -gt 0 ] && echo " (limit $LIMIT s)")"
  fi
  {
    echo "fmcib GPU check ($([ $CPU = 0 ] && echo "GPU" || echo "--cpu: reduced sizes on the CPU")), $(date -u +%Y-%m-%dT%H:%M:%SZ), ${FMCIB_CHECK_COMMIT:-$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo "commit unknown")}"
    awk -F'\t' '{ for (i = 1; i <= 3; i++) if (length($i) > w[i]) w[i] = length($i); r[NR] = $0 }
      END { for (n = 1; n <= NR; n++) { split(r[n], f, "\t"); printf "%-*s  %-*s  %-*s  %s\n", w[1], f[1], w[2], f[2], w[3], f[3], f[4] } }' "$OUT/summary.tsv"
  } >"$OUT/summary.txt"
  echo
  cat "$OUT/summary.txt"
  echo "logs: $OUT"
}

main() {
  if preflight; then
    local built=1
    if wants build; then build || built=0; fi
    if [ $built = 1 ] && [ -x "$FMCIB" ]; then
      if wants a; then stage_a; fi
      if wants b; then stage_b; fi
      if wants c; then stage_c; fi
      if wants d; then stage_d; fi
    else
      record run "stages" FAIL "no fmcib binary in $BUILD: the stages did not run"
    fi
  fi
  summary
  return $FAILED
}
main; exit $?  # one line: bash has read all of it before it runs, so editing the file meanwhile is safe
