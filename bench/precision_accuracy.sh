#!/usr/bin/env bash
# Accuracy of bf16 training against fp32 (issue #15): trains the same
# built-in data with each precision and seeds 1..3, and prints the final
# validation figures as a Markdown table, with the fp32 runs' spread.
#
#   bash bench/precision_accuracy.sh [ASTROCNN] [NETWORKS...]
#   e.g. bash bench/precision_accuracy.sh build/tools/astrocnn huertas lenet
#
# The networks' settings are docs/REPRODUCING.md's.
set -euo pipefail
bin=${1:-build/tools/astrocnn}
shift || true
networks=("${@:-huertas}")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

settings() {
  case "$1" in
    huertas) echo "--model huertas --kind morphology -n 1000 --size 64 --epochs 6 --batch-size 32 --lr 0.1" ;;
    lenet) echo "--model lenet --kind fakereal --size 64 -n 1500 --epochs 8 --lr 0.01" ;;
    resnet50) echo "--model resnet50 --kind merger --size 64 -n 300 --epochs 3 --batch-size 16 --lr 0.01 --noise 0.1" ;;
    resnet18) echo "--model resnet18 --kind merger --size 64 -n 300 --epochs 3 --batch-size 16 --lr 0.01" ;;
    alexnet) echo "--model alexnet --kind merger --size 64 -n 300 --epochs 3 --batch-size 16 --lr 0.01" ;;
    *) echo "unknown network $1" >&2; exit 2 ;;
  esac
}

echo "| network | precision | seed | best val loss | last val loss | last val accuracy | wall s |"
echo "|---|---|---|---|---|---|---|"
for net in "${networks[@]}"; do
  for precision in fp32 bf16; do
    for seed in 1 2 3; do
      dir="$out/$net-$precision-$seed"
      start=$(date +%s.%N)
      # shellcheck disable=SC2046
      "$bin" train $(settings "$net") --seed "$seed" --precision "$precision" --out "$dir" >/dev/null
      wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
      awk -F, -v net="$net" -v p="$precision" -v seed="$seed" -v wall="$wall" '
        $2 == "validation" { if (best == "" || $3 < best) best = $3; last = $3; acc = $4 }
        END { accuracy = (acc == "" || acc == "nan") ? "n/a" : sprintf("%.1f%%", 100 * acc)
              printf "| %s | %s | %s | %.4f | %.4f | %s | %.0f |\n", net, p, seed, best, last, accuracy, wall }' \
        "$dir/metrics.csv"
    done
  done
done
