#!/usr/bin/env bash
# The GPU checks as one script, for a machine with CuPy, PyTorch (CUDA), pytest(-xdist) and
# hypothesis installed; nanoae runs from this source tree (PYTHONPATH), nothing is installed.
#
#   bash tools/gpu_check.sh OUT_DIR [parts]      # parts: any of tests,cli,tutorials,upload,bench (default all)
#
# tests      the whole suite, CuPy among the backends (conftest adds it when a GPU is visible)
# cli        every command with --backend $B, the demo at its defaults, timed
# tutorials  tutorial 8 in full, and every tutorial in fast mode with NANOAE_BACKEND=$B
# bench      benchmarks/throughput.py: cupy, torch-cuda and numpy-f32 (this machine's CPU),
#            three models at batch 128, 1024 and 8192; it writes throughput.partial.* as it goes.
#            GPU rows: the images on the device before the clock for both peers, the peak of device
#            memory, and BENCH_PHASE_STEPS steps timed phase by phase with CUDA events
#
# Times seen on an NVIDIA H200 with 16 cores (2026-11-27): tests 121 s on 8 workers, cli 55 s,
# tutorials 17 s, bench more than 300 s (a 260 s limit stopped it after 25 of its 27 groups).
#
# Fashion-MNIST for the benchmark is read from $NANOAE_DATA, else ./.fmnist if present.
# GPU_BACKEND=emulated tries the cli and tutorials parts on a machine without a GPU.
# Each part has its own time limit (seconds, from the environment) so that one that hangs
# still leaves the others' results: TESTS_S and BENCH_S (each command and tutorial has its own);
# also TEST_WORKERS, TEST_BLAS_THREADS, BENCH_REPEATS, BENCH_PHASE_STEPS.
set -u
OUT=${1:?usage: bash tools/gpu_check.sh OUT_DIR [parts]}
PARTS=${2:-tests,cli,tutorials,upload,bench}
mkdir -p "$OUT"
B=${GPU_BACKEND:-cupy}
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 MPLBACKEND=Agg
if [ -z "${NANOAE_DATA:-}" ] && [ -d .fmnist ]; then export NANOAE_DATA=$PWD/.fmnist; fi
LOG=$OUT/run.log
WORK=$(mktemp -d)
want() { [[ ",$PARTS," == *",$1,"* ]]; }
say() { echo "$@" | tee -a "$LOG"; }

timed() {   # timed LIMIT NAME command...: one line with the exit status and seconds; the tail on failure
    local limit=$1 name=$2; shift 2
    local started=$(date +%s%N)
    timeout "$limit" "$@" >"$WORK/$name.out" 2>&1
    local rc=$? ms=$(( ($(date +%s%N) - started) / 1000000 ))
    say "$(printf '%-22s rc=%-3s %6d.%03d s' "$name" "$rc" $((ms / 1000)) $((ms % 1000)))"
    if [ $rc -ne 0 ]; then tail -n 25 "$WORK/$name.out" | sed 's/^/    /' | tee -a "$LOG"; fi
    return 0
}

{
    date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
    python3 -c "import sys, numpy, cupy, torch; print('python', sys.version.split()[0], '· numpy', numpy.__version__,
'· cupy', cupy.__version__, '· CUDA runtime', cupy.cuda.runtime.runtimeGetVersion(), '· torch', torch.__version__)"
    echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) · $(nproc) cores"
} 2>&1 | tee -a "$LOG"

if want tests; then
    OPENBLAS_NUM_THREADS=${TEST_BLAS_THREADS:-2} timeout "${TESTS_S:-200}" python3 -m pytest -q -n "${TEST_WORKERS:-12}" -p no:cacheprovider --timeout 150 \
        -rfEs tests/ -W ignore >"$OUT/tests.log" 2>&1
    say "tests: exit $?; $(tail -n 1 "$OUT/tests.log")"
fi

if want cli; then
    C="python3 -m nanoae"
    timed 120 demo          $C demo --backend $B --out "$WORK/demo"
    grep -E "epoch +[0-9]+/|samples/s|W1" "$WORK/demo.out" | tail -n 4 >>"$LOG"
    timed 60 vae-demo       $C vae-demo --backend $B --epochs 2 --out "$WORK/vae"
    timed 60 train-ae       $C train --backend $B --epochs 2 --out "$WORK/train-ae"
    timed 60 train-ae-f64   $C train --backend $B --dtype float64 --epochs 1 --out "$WORK/train-f64"
    timed 60 train-conv     $C train --backend $B --arch conv --epochs 1 --out "$WORK/train-conv"
    timed 60 train-vae      $C train --backend $B --model vae --epochs 1 --out "$WORK/train-vae"
    timed 90 train-fashion  $C train --backend $B --dataset fashion-mnist --epochs 1 --out "$WORK/train-fashion"
    timed 60 denoise        $C denoise --backend $B --epochs 1 --out "$WORK/denoise"
    timed 60 reduce         $C reduce --backend $B --epochs 1 --out "$WORK/reduce"
    timed 90 anomaly        $C anomaly --backend $B --epochs 1 --out "$WORK/anomaly"
    timed 60 walk           $C walk --backend $B --run "$WORK/demo"
    timed 60 smoke          $C smoke --backend $B
fi

if want tutorials; then
    timed 120 tutorial-08-full python3 tutorials/08_running_on_a_gpu.py
    cat "$WORK/tutorial-08-full.out" >"$OUT/tutorial8.log"
    for t in tutorials/0[1-8]_*.py; do
        NANOAE_BACKEND=$B NANOAE_TUTORIAL_FAST=1 NANOAE_TUTORIAL_OUT="$WORK/tut" \
            timed 120 "fast-$B-$(basename "$t" .py | cut -c1-2)" python3 "$t"
    done
fi

if want upload; then
    timeout 60 python3 benchmarks/gpu_upload.py 2>&1 | tee -a "$LOG"
fi

if want bench; then
    timeout "${BENCH_S:-420}" python3 benchmarks/throughput.py --models lecture,hinton,vae \
        --backends cupy,torch-cuda,numpy-f32 --batch-sizes 128,1024,8192 --repeats "${BENCH_REPEATS:-2}" \
        --phase-steps "${BENCH_PHASE_STEPS:-30}" --out "$OUT/bench" >"$OUT/bench.log" 2>&1
    say "bench: exit $?"
fi
say "done $(date -u)"
