#!/usr/bin/env bash
# callqa on Slurm: a 3-task job array analyses the recordings (one shard per task), a dependent
# job merges the parts. README "Running on a cluster" walks through it.
#
#   sbatch examples/slurm-array.sh                # submits the array and the merge after it
#
# CALLS, PARTS and REPORT must be on a file system every node sees; callqa and its model must be
# installed on every node (or set CALLQA_MODEL to a shared model file). Resubmitting after a
# failure resumes: finished parts are reused.
#SBATCH --job-name=callqa-analyze
#SBATCH --array=1-3
#SBATCH --cpus-per-task=2
#SBATCH --mem=1G
#SBATCH --time=24:00:00
#SBATCH --output=callqa-%A_%a.log
set -euo pipefail

CALLS=${CALLS:-/shared/calls}
PARTS=${PARTS:-/shared/callqa-parts}
REPORT=${REPORT:-/shared/callqa-report}

if [[ -z "${SLURM_ARRAY_TASK_ID:-}" ]]; then
    echo "submit with sbatch: sbatch $0" >&2
    exit 1
fi

# The first task also submits the merge, to run once every task of the array has ended
# (afterany: a task that exits 2 - some files were errors - still counts as done).
if [[ "$SLURM_ARRAY_TASK_ID" == "${SLURM_ARRAY_TASK_MIN:-1}" ]]; then
    sbatch --dependency="afterany:${SLURM_ARRAY_JOB_ID}" --job-name=callqa-merge \
        --cpus-per-task=1 --mem=1G --output=callqa-merge-%j.log \
        --wrap="callqa merge '$PARTS' --out '$REPORT' --quiet"
fi

# --shard auto reads SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT. Exit code 2 (some files
# could not be analysed; they are listed in the report) is not a failure of the task.
status=0
callqa analyze "$CALLS" --parts "$PARTS" --shard auto --jobs "$SLURM_CPUS_PER_TASK" --quiet || status=$?
[[ $status -eq 0 || $status -eq 2 ]] || exit "$status"
