#!/usr/bin/env bash
# Build the one-folder PyInstaller bundle (dist/pixova-desktop/) and smoke-test the executable.
#
# Usage: scripts/build_bundle.sh [VENV]
#   VENV: a virtual environment with the project installed; default: the `python3` on PATH.
#   PyInstaller is installed into it (the project's `build` extra) when it is missing.
#
# The smoke test copies the bundle into a folder with non-ASCII characters outside the
# repository, generates one image headless and offline, checks the PNG's `parameters` chunk,
# then opens the window offscreen and lets it quit after PIXOVA_QUIT_AFTER_MS.
set -euo pipefail

# An absolute path, because the smoke test runs in another folder.
if [[ $# -ge 1 ]]; then
    PYTHON="$(cd "$1" && pwd)/bin/python"
else
    PYTHON=$(command -v python3)
fi
cd "$(dirname "$0")/.."
REPO=$(pwd)
BUNDLE="$REPO/dist/pixova-desktop"
PROMPT="a red circle on a white background"

log() { printf '[build_bundle] %s\n' "$*"; }

# 1. Build.
if ! "$PYTHON" -m PyInstaller --version >/dev/null 2>&1; then
    log "installing PyInstaller into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
    "$PYTHON" -m pip install --quiet -e '.[build]'
fi
log "building with $("$PYTHON" -m PyInstaller --version 2>/dev/null | tail -n 1) ($PYTHON)"
build_started=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN build.spec
build_seconds=$(( $(date +%s) - build_started ))

# 2. Check the contents: the tests package must be absent and resources/ present.
if grep -Eq "'tests(\.[A-Za-z0-9_.]+)?'" build/build/PYZ-*.toc 2>/dev/null \
    || [[ -e "$BUNDLE/_internal/tests" ]]; then
    log "error: the bundle contains the tests package"
    exit 1
fi
if [[ ! -d "$BUNDLE/_internal/resources/icons" ]]; then
    log "error: $BUNDLE/_internal/resources/icons is missing"
    exit 1
fi

# 3. Smoke test from a folder outside the repository, with a throwaway home folder.
smoke_started=$(date +%s)
SMOKE=$(mktemp -d "${TMPDIR:-/tmp}/pixova-smoke.XXXXXX")
trap 'rm -rf "$SMOKE"' EXIT
APP="$SMOKE/Pixova Ünïcødé 画像"
OUT="$SMOKE/Ausgabe 出力"
cp -a "$BUNDLE" "$APP"
export HOME="$SMOKE/home" XDG_DATA_HOME="$SMOKE/home/.local/share"
export XDG_CONFIG_HOME="$SMOKE/home/.config" XDG_STATE_HOME="$SMOKE/home/.local/state"
export XDG_CACHE_HOME="$SMOKE/home/.cache" HF_HOME="$SMOKE/hf" HF_HUB_OFFLINE=1
export HF_HUB_DISABLE_TELEMETRY=1 QT_QPA_PLATFORM=offscreen

model_args=()
if [[ -f "$APP/_internal/resources/models/pixova-demo/model_index.json" ]]; then
    log "generating with the built-in model"
else
    # This checkout has no built-in model, so a tiny random-weight pipeline replaces it.
    TINY="$SMOKE/modèle 模型/tiny-sd"
    log "built-in model missing; generating with a tiny test model in $TINY"
    "$PYTHON" -c 'import sys; from pathlib import Path
from tests.support.ldm_checkpoint import build_tiny_pipeline
build_tiny_pipeline(Path(sys.argv[1]))' "$TINY"
    model_args=(--model "$TINY" --width 64 --height 64 --steps 2)
fi

cd "$SMOKE"
timeout 900 "$APP/pixova-desktop" generate "$PROMPT" --seed 42 --out "$OUT" "${model_args[@]}"
PNG=$(find "$OUT" -name '*.png' -print -quit)
if [[ -z "$PNG" ]]; then
    log "error: generate exited 0 but wrote no PNG under $OUT"
    exit 1
fi
"$PYTHON" -c 'import sys
from PIL import Image
with Image.open(sys.argv[1]) as image:
    parameters = image.text.get("parameters")
if not parameters:
    sys.exit(f"error: {sys.argv[1]} has no parameters chunk")
print(f"[build_bundle] {sys.argv[1]}: {image.size[0]}x{image.size[1]}, parameters: {parameters!r}")
' "$PNG"

window_status=0
PIXOVA_QUIT_AFTER_MS=3000 timeout 300 "$APP/pixova-desktop" || window_status=$?
if [[ $window_status -ne 0 ]]; then
    log "error: the window exited with status $window_status"
    exit 1
fi
log "window opened offscreen and closed with status 0"
cd "$REPO"
smoke_seconds=$(( $(date +%s) - smoke_started ))

# 4. Report.
log "bundle: $BUNDLE, $(du -sh "$BUNDLE" | cut -f1) on disk, $(find "$BUNDLE" -type f | wc -l) files"
log "build time: ${build_seconds} s, smoke test: ${smoke_seconds} s"
