#!/usr/bin/env bash
# Provision what sohoa needs to run, idempotently:
#   bootstrap.sh system   Debian packages (Tesseract with vie/eng/osd, poppler, qpdf, fonts)
#   bootstrap.sh venv     .venv with the pinned dependencies (pip install -c constraints.txt)
#   bootstrap.sh [all]    both
# Each step does nothing when it is already satisfied.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SYSTEM_PACKAGES=(
    tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng tesseract-ocr-osd
    # tesserocr, Tesseract's library for Python, is compiled against the same Tesseract
    libtesseract-dev libleptonica-dev g++ pkg-config
    poppler-utils qpdf fonts-dejavu-core
    # used by scripts/services.sh (postgresql: the production database, started on loopback)
    curl unzip postgresql
    # browser tests of the web app (Selenium drives Debian's Chromium, nothing downloaded)
    chromium chromium-driver
    # veraPDF, the PDF/A validator of the tests, fetched with Maven and run on a JDK (scripts/verapdf.sh)
    maven openjdk-17-jdk-headless
    # SoftHSM, the PKCS#11 token the signing tests keep the office's key on
    softhsm2
)
VENV="$REPO_ROOT/.venv"
VENV_STAMP="$VENV/.sohoa-install-stamp"

package_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

install_system_packages() {
    local missing=() package
    for package in "${SYSTEM_PACKAGES[@]}"; do
        package_installed "$package" || missing+=("$package")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "system packages present (${#SYSTEM_PACKAGES[@]})"
        return
    fi
    require_root "installing ${missing[*]}"
    log "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The interpreter for the venv: $PYTHON, else python3 or python3.11, which must be 3.11.
find_python() {
    local candidate
    for candidate in ${PYTHON:-} python3 python3.11; do
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
            echo "$candidate"
            return
        fi
    done
    die "Python 3.11 is required (pyproject: requires-python >=3.11,<3.12); set PYTHON=/path/to/python3.11"
}

# Reinstall only when pyproject.toml or constraints.txt changed since the last install.
install_venv() {
    local want
    want="$(cat "$REPO_ROOT/pyproject.toml" "$REPO_ROOT/constraints.txt" | sha256sum | cut -d' ' -f1)"
    if [[ -x "$VENV/bin/python" && -f "$VENV_STAMP" && "$(cat "$VENV_STAMP")" == "$want" ]]; then
        log "venv up to date ($VENV)"
        return
    fi
    if ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
        rm -rf "$VENV"
        "$(find_python)" -m venv "$VENV"
    fi
    log "installing pinned dependencies into $VENV"
    # tesserocr from source: its wheel brings a Tesseract of its own, another version
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-binary tesserocr \
        -c "$REPO_ROOT/constraints.txt" -e "${REPO_ROOT}[dev]"
    echo "$want" >"$VENV_STAMP"
}

main() {
    case "${1:-all}" in
    system) timed "system packages checked" install_system_packages ;;
    venv) timed "venv ready" install_venv ;;
    all)
        timed "system packages checked" install_system_packages
        timed "venv ready" install_venv
        ;;
    *) die "usage: $0 [system|venv|all]" ;;
    esac
}

main "$@"
