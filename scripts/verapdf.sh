#!/usr/bin/env bash
# veraPDF, the PDF Association's PDF/A validator, for the tests that check sohoa's searchable
# PDFs: its greenfield validation library from Maven Central (org.verapdf:validation-model;
# veraPDF's command-line app is not published there) and PdfaCheck.java beside this script,
# compiled against it, in tools/verapdf/. Skipped when already there.
#
#   verapdf.sh provision         fetch and compile (idempotent)
#   verapdf.sh check FLAVOUR PDF...   provision, then validate; one JSON line per file
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERAPDF_VERSION="1.30.2"
VERAPDF_DIR="$REPO_ROOT/tools/verapdf-$VERAPDF_VERSION"
SOURCE="$REPO_ROOT/scripts/verapdf/PdfaCheck.java"
M2_REPO="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}"

provision() {
    local stamp="$VERAPDF_DIR/classes/PdfaCheck.class"
    if [[ -f "$stamp" && "$stamp" -nt "$SOURCE" ]]; then
        return
    fi
    require_command mvn "veraPDF is fetched from Maven Central with Maven"
    require_command javac "veraPDF's checker is compiled with a JDK (17 or newer)"
    local staging="$VERAPDF_DIR.partial"
    rm -rf "$staging"
    mkdir -p "$staging/classes"
    cat >"$staging/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>sohoa</groupId><artifactId>verapdf-tools</artifactId><version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.verapdf</groupId><artifactId>validation-model</artifactId>
      <version>$VERAPDF_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
    log "fetching veraPDF $VERAPDF_VERSION (~16 MB of jars) with Maven"
    mvn -q -B -f "$staging/pom.xml" dependency:copy-dependencies -DoutputDirectory="$staging/lib" \
        -Dmaven.repo.local="$M2_REPO" >"$staging/mvn.log" 2>&1 ||
        die_with_log "mvn could not fetch org.verapdf:validation-model:$VERAPDF_VERSION" "$staging/mvn.log"
    javac -d "$staging/classes" -cp "$staging/lib/*" "$SOURCE" ||
        die "javac could not compile $SOURCE"
    rm -rf "$VERAPDF_DIR"
    mv "$staging" "$VERAPDF_DIR"
    log "veraPDF $VERAPDF_VERSION ready in $VERAPDF_DIR"
}

case "${1:-}" in
provision) provision ;;
check)
    shift
    provision >&2
    exec java -cp "$VERAPDF_DIR/lib/*:$VERAPDF_DIR/classes" PdfaCheck "$@"
    ;;
*) die "usage: $0 provision | check FLAVOUR PDF..." ;;
esac
