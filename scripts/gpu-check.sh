#!/usr/bin/env bash
# GPU acceptance in one prepared command, for a machine lent with a GPU and no network (recipes/README.md,
# "GPU acceptance check"). Installs whatever wheel parts were carried (wheels/gpu/part-*/, from
# `make gpu-wheels`) into .gpu-site/, then runs `eai gpu-check` with .gpu-site/ first on the path, and, where
# $OUT is set (the device tool's folder that comes back), copies the report, logs and probes there.
#   bash scripts/gpu-check.sh                  install carried parts, run the check (arguments go to eai gpu-check)
#   bash scripts/gpu-check.sh --install-only   install carried parts and stop (for parts carried in earlier calls)
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export PYTHONPATH="$PWD/.gpu-site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
export PATH="$PWD/.gpu-site/bin:$PATH"
for part in wheels/gpu/part-*/; do
  [ -d "$part" ] || continue
  "$PY" -m eai_recipes.gpu_check.wheels install "$part" || echo "gpu-check.sh: installing $part failed (the check says what is missing)" >&2
done
if [ "${1:-}" = "--install-only" ]; then
  ls .gpu-site 2>/dev/null | grep -c dist-info | xargs echo "gpu-check.sh: distributions in .gpu-site:"
  exit 0
fi
[ -n "${OUT:-}" ] && export EAI_GPU_CHECK_MIRROR="$OUT/gpu-check"
"$PY" -m eai_recipes.cli gpu-check "$@"
rc=$?
if [ -n "${OUT:-}" ] && [ -d runs/gpu-check ]; then
  mkdir -p "$OUT/gpu-check"
  for f in report.json report.md calibration.yaml logs probes; do
    [ -e "runs/gpu-check/$f" ] && cp -r "runs/gpu-check/$f" "$OUT/gpu-check/"
  done
  echo "gpu-check.sh: report copied to \$OUT/gpu-check/" >&2
fi
exit $rc
