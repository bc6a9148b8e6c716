#!/usr/bin/env bash
# The README's demo (`make demo`): synthetic CT data → short FMCIB pre-training → export the trunk in
# the published weights layout → fine-tune task 1 from it (and test) → extract features.
# Usage: scripts/demo.sh [BUILD_DIR] ; outputs go to $DEMO_OUT (default: demo/, git-ignored).
set -euo pipefail
build=${1:-build}
fmcib="$build/fmcib"
out=${DEMO_OUT:-demo}
data="$out/data"
seed=${DEMO_SEED:-0}
paths=(--vars#data="$data" --vars#out="$out")

"$fmcib" --version
echo "== 1/5 demo data -> $data"
"$fmcib" make-demo-data --out "$data" --scans 20 --lesions-per-scan 6 --seed "$seed"

echo "== 2/5 pre-training (experiments/demo/pretrain.yaml)"
rm -rf "$out/checkpoints/pretrain"
"$fmcib" fit --config_file experiments/demo/pretrain.yaml "${paths[@]}" --seed "$seed"

echo "== 3/5 export weights"
"$fmcib" export-weights --checkpoint "$out/checkpoints/pretrain/last.ckpt" --out "$out/pretrain_weights.torch"

echo "== 4/5 fine-tuning task 1 from the pre-trained trunk (experiments/demo/finetune_task1.yaml)"
rm -rf "$out/checkpoints/finetune_task1"
"$fmcib" fit --config_file experiments/demo/finetune_task1.yaml "${paths[@]}" --seed "$seed"
"$fmcib" test --config_file experiments/demo/finetune_task1.yaml "${paths[@]}" --seed "$seed" \
  --ckpt_path "$out/checkpoints/finetune_task1/last.ckpt"

echo "== 5/5 features of the task 1 test lesions (experiments/demo/extract_features.yaml)"
"$fmcib" predict --config_file experiments/demo/extract_features.yaml "${paths[@]}" --seed "$seed"

cat <<SUMMARY

Demo outputs (in $out):
  data/                              synthetic scans (.nii.gz) and CSVs (pretrain, task1-3 train/val/test)
  checkpoints/pretrain/last.ckpt     pre-training checkpoint (Lightning layout; torch.load reads it)
  pretrain_weights.torch             its trunk as {trunk_state_dict} (fmcib's LoadModel / Python fmcib)
  checkpoints/finetune_task1/        fine-tuning checkpoints (epoch=N-step=M.ckpt, last.ckpt)
  logs/pretrain, logs/finetune_task1 CSV logs (version_N/metrics.csv, hparams.yaml)
  features.csv                       task 1 test rows + 128 features (pred_0 ... pred_127)
  previews/                          PNG previews of the first inputs
SUMMARY
