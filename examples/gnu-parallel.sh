#!/usr/bin/env bash
# callqa on one big machine with GNU parallel: N shard processes side by side into one parts
# folder, then the merge. README "Running on a cluster" explains it.
#
#   examples/gnu-parallel.sh CALLS_DIR [SHARDS]
#
# Each shard uses 2 threads (--jobs 2); SHARDS defaults to the cores / 2. Run it again after an
# interruption: finished parts are reused. parallel exits with the number of failed shards; exit
# code 2 of callqa (some files listed as errors) is accepted.
set -euo pipefail
CALLS=${1:?usage: examples/gnu-parallel.sh CALLS_DIR [SHARDS]}
SHARDS=${2:-$(( ($(nproc) + 1) / 2 ))}

parallel --line-buffer --halt never \
    'callqa analyze {1} --parts parts --shard {2}/{3} --jobs 2 --quiet; s=$?; [ $s -eq 0 ] || [ $s -eq 2 ]' \
    ::: "$CALLS" ::: $(seq 1 "$SHARDS") ::: "$SHARDS"
callqa merge parts --out report
