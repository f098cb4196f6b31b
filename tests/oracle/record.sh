#!/usr/bin/env bash
# record.sh [CASE ...]: record real-kernel transcripts for the oracle cases.
#
# Each case is a folder next to this script:
#   CASE/scenario.sh    shell lines, run one by one as root with `sh -c` (dash)
#   CASE/modules.txt    optional: repo-relative module paths without extension,
#                       one a line (e.g. modules/counter); PATH.c is built
#   CASE/*.c, *.h       optional: the case's own modules (each NAME.c has a NAME.py twin)
#   CASE/Kbuild         optional: replaces the default `obj-m := ...` makefile
#                       (it must then list every module the case builds)
#   CASE/transcript.txt written here: exactly what run.sh printed on stdout
#
# With no arguments every case (every folder holding a scenario.sh) is recorded.
#
#   tests/oracle/record.sh                      # all cases
#   tests/oracle/record.sh tour_hello shell_errors
#
# Needs the realkernel tool (run.sh: Debian 12's 6.1 kernel in QEMU, root,
# apt packages installed on first use) at REPO/../shared/tools/realkernel,
# i.e. ../shared/tools/realkernel relative to the repository root; the
# REALKERNEL environment variable names another folder. One VM at a time:
# cases are recorded one after the other (about 5 s each).
#
# A transcript is written when run.sh exits 0, or 4 (the VM stopped, e.g. a
# panic the case wants to show; a warning is printed). Any other exit leaves
# the old transcript alone. Exit status: 0 if every case was recorded, else 1.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
TOOL=${REALKERNEL:-$REPO/../shared/tools/realkernel}
RUN=$TOOL/run.sh
[[ -x $RUN ]] || { echo "record.sh: no realkernel tool at $TOOL (run.sh missing)" >&2; exit 2; }

if (($# == 0)); then
  set --
  for d in "$HERE"/*/; do
    [[ -f $d/scenario.sh ]] && set -- "$@" "$(basename "$d")"
  done
fi

failed=0
for case in "$@"; do
  case=${case%/}
  dir=$HERE/$case
  if [[ ! -f $dir/scenario.sh ]]; then
    echo "record.sh: $case: no scenario.sh" >&2; failed=1; continue
  fi
  build=$(mktemp -d)
  ok=1
  if [[ -f $dir/modules.txt ]]; then
    while IFS= read -r path || [[ -n $path ]]; do
      path=${path%%#*}; path=${path//[[:space:]]/}
      [[ -z $path ]] && continue
      src=$REPO/$path.c
      if [[ ! -f $src ]]; then
        echo "record.sh: $case: no such module source: $path.c" >&2; ok=0; continue
      fi
      if [[ -e $build/${src##*/} ]]; then
        echo "record.sh: $case: two modules named ${src##*/}" >&2; ok=0; continue
      fi
      cp "$src" "$build/"
    done < "$dir/modules.txt"
  fi
  shopt -s nullglob
  for src in "$dir"/*.c "$dir"/*.h; do
    if [[ -e $build/${src##*/} ]]; then
      echo "record.sh: $case: two files named ${src##*/}" >&2; ok=0; continue
    fi
    cp "$src" "$build/"
  done
  shopt -u nullglob
  [[ -f $dir/Kbuild ]] && cp "$dir/Kbuild" "$build/Kbuild"
  if ((ok)); then
    echo "record.sh: recording $case" >&2
    "$RUN" "$build" "$dir/scenario.sh" > "$build/transcript.txt"
    rc=$?
    if ((rc == 0 || rc == 4)); then
      ((rc == 4)) && echo "record.sh: $case: the VM stopped before the scenario's end (run.sh exit 4)" >&2
      cp "$build/transcript.txt" "$dir/transcript.txt"
    else
      echo "record.sh: $case: run.sh failed (exit $rc); transcript.txt left as it was" >&2
      ok=0
    fi
  fi
  ((ok)) || failed=1
  rm -rf "$build"
done
exit $failed
