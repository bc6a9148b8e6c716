#!/usr/bin/env bash
# The README's demo (`make demo`), the paper's central claim in miniature on synthetic CT:
# self-supervised pre-training on unlabelled lesions gives features that a linear classifier turns
# into a benign / malignant call far better than the same network's random-init features, and the
# pre-trained trunk fine-tunes well above chance. Steps: demo data → pre-training → export the
# trunk → features of the task-2 train/test lesions with the pre-trained and with a random-init
# trunk → a linear probe on each → fine-tune from the pre-trained trunk → test → one table.
# Usage: scripts/demo.sh [BUILD_DIR] ; outputs go to $DEMO_OUT (default: demo/, git-ignored).
# Smaller runs (the slow test): DEMO_SCANS, DEMO_LESIONS, DEMO_PRETRAIN_EPOCHS, DEMO_FINETUNE_EPOCHS.
set -euo pipefail
build=${1:-build}
fmcib="$build/fmcib"
out=${DEMO_OUT:-demo}
data="$out/data"
seed=${DEMO_SEED:-0}
scans=${DEMO_SCANS:-96}
lesions=${DEMO_LESIONS:-10}
pretrain_epochs=${DEMO_PRETRAIN_EPOCHS:-6}
finetune_epochs=${DEMO_FINETUNE_EPOCHS:-20}
paths=(--vars#data="$data" --vars#out="$out")
task=(--label malignancy)

"$fmcib" --version
echo "== 1/8 demo data -> $data ($scans scans, $lesions lesions each)"
"$fmcib" make-demo-data --out "$data" --scans "$scans" --lesions-per-scan "$lesions" --seed "$seed" \
  --size 192,192,40 --spacing 0.8,0.8,1.6

echo "== 2/8 self-supervised pre-training on the unlabelled lesions of pretrain.csv (experiments/demo/pretrain.yaml)"
rm -rf "$out/checkpoints/pretrain" "$out/logs/pretrain"
"$fmcib" fit --config_file experiments/demo/pretrain.yaml "${paths[@]}" --seed "$seed" \
  --trainer#max_epochs="$pretrain_epochs"

echo "== 3/8 export the pre-trained trunk"
"$fmcib" export-weights --checkpoint "$out/checkpoints/pretrain/last.ckpt" --out "$out/pretrain_weights.torch"

# Task 2 lives on scans the pre-training never saw (LPS storage, read with orient: false).
features() {  # features NAME WEIGHTS: trunk features of the task-2 train and test lesions
  for split in train test; do
    "$fmcib" predict --config_file experiments/demo/extract_features.yaml "${paths[@]}" --seed "$seed" \
      --vars#weights="$2" --vars#csv="$data/task2_$split.csv" --vars#orient=False \
      --vars#features="$out/features/$1_$split.csv"
  done
}
echo "== 4/8 features of the task-2 lesions from the pre-trained trunk (experiments/demo/extract_features.yaml)"
features pretrained "$out/pretrain_weights.torch"
echo "== 5/8 features of the same lesions from a random-init trunk (same network, seed $seed)"
features random null

echo "== 6/8 linear probes (logistic regression, C by cross-validation on train) on both"
for f in random pretrained; do
  "$fmcib" linear-probe --train "$out/features/${f}_train.csv" --test "$out/features/${f}_test.csv" "${task[@]}" \
    --out "$out/probe_$f"
done

echo "== 7/8 fine-tuning the pre-trained trunk on task 2 (experiments/demo/finetune_task2.yaml), then test"
rm -rf "$out/checkpoints/finetune_task2" "$out/logs/finetune_task2"
"$fmcib" fit --config_file experiments/demo/finetune_task2.yaml "${paths[@]}" --seed "$seed" \
  --trainer#max_epochs="$finetune_epochs"
"$fmcib" test --config_file experiments/demo/finetune_task2.yaml "${paths[@]}" --seed "$seed" \
  --ckpt_path "$out/checkpoints/finetune_task2/last.ckpt"

echo "== 8/8 the fine-tuned model's probabilities on the test lesions, scored as the probes are"
"$fmcib" predict --config_file experiments/demo/get_predictions.yaml "${paths[@]}" --seed "$seed" \
  --vars#weights="$out/checkpoints/finetune_task2/last.ckpt" --vars#csv="$data/task2_test.csv" \
  --vars#orient=False --system#model#heads=[128,64,2]
"$fmcib" evaluate --predictions "$out/predictions.csv" "${task[@]}" --out "$out/finetuned"
"$fmcib" plot --logs "$out/logs/finetune_task2/version_0" --out "$out/finetune_curves.png"
"$fmcib" preview --config_file experiments/demo/finetune_task2.yaml "${paths[@]}" --dataset train --n 8 \
  --out "$out/preview"

echo
echo "Task 2 (benign / malignant), $(($(wc -l <"$data/task2_test.csv") - 1)) test lesions, seed $seed:"
"$fmcib" metrics-table "random-init features=$out/probe_random/metrics.json" \
  "pre-trained features=$out/probe_pretrained/metrics.json" "fine-tuned=$out/finetuned/metrics.json"
cat <<SUMMARY

Curves of the fine-tuning: $out/finetune_curves.png
Preview of the training inputs: $(ls "$out"/preview/*.png | head -1) (and the other rows in $out/preview/)
Other outputs (in $out): data/ (scans, CSVs), pretrain_weights.torch (the trunk as {trunk_state_dict}),
  features/ (pred_0 ... pred_127 per lesion), probe_*/ and finetuned/ (metrics.json, probabilities),
  checkpoints/, logs/ (CSV logs: version_N/metrics.csv)
SUMMARY
