#!/bin/sh
# The --allow-run list of a task: the absolute paths of the named programs found on
# PATH, comma-separated, so Deno neither looks them up itself (and prints "Failed to
# resolve" for each one missing) nor grants a program the host does not have. With none
# found it prints a path that cannot exist: an empty --allow-run= would allow every
# program. Usage: --allow-run=$(sh scripts/allow_run.sh nvidia-smi)
found=""
for name in "$@"; do
  path=$(command -v "$name" 2>/dev/null) || continue
  case "$path" in
    /*) found="${found:+$found,}$path" ;;
  esac
done
printf '%s\n' "${found:-/nonexistent/multi-extractor/$1}"
