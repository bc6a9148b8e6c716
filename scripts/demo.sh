#!/usr/bin/env bash
# The README's demo. Grows as the pipeline does (demo data → pre-training → fine-tune → features).
set -euo pipefail
build=${1:-build}
fmcib="$build/fmcib"
"$fmcib" --version
"$fmcib" --help
