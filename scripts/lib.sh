# Shared helpers for scripts/*.sh (sourced, not executed).
# shellcheck shell=bash

# shellcheck disable=SC2034  # used by the scripts that source this file
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*"; }

die() {
    printf '[%s] ERROR: %s\n' "$(basename "$0" .sh)" "$*" >&2
    exit 1
}

# die_with_log MESSAGE FILE...: fail, showing the last lines of each existing log file.
die_with_log() {
    local message="$1" file
    shift
    for file in "$@"; do
        [[ -s "$file" ]] || continue
        printf -- '----- last lines of %s -----\n' "$file" >&2
        tail -n 40 "$file" >&2
    done
    die "$message"
}

# timed LABEL COMMAND...: run COMMAND and print "LABEL in N s" when it succeeds.
timed() {
    local label="$1" start=$SECONDS
    shift
    "$@"
    log "$label in $((SECONDS - start)) s"
}

require_command() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed: $2"
}

require_root() {
    [[ $EUID -eq 0 ]] || die "$1 needs root (run as root or via sudo)"
}

# http_ok URL: true when URL answers 2xx within a couple of seconds.
http_ok() {
    curl -fsS --max-time 3 -o /dev/null "$1" 2>/dev/null
}
