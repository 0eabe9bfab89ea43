#!/usr/bin/env bash
# Extract, update and compile the gettext catalogs. Vietnamese is the source language (the
# msgids); English is the one translation: translations/en/LC_MESSAGES/messages.po.
#
#   tools/i18n.sh            extract + update + compile (default)
#   tools/i18n.sh extract    source -> translations/messages.pot
#   tools/i18n.sh update     messages.pot -> messages.po (new msgids come with an empty msgstr)
#   tools/i18n.sh compile    messages.po -> messages.mo (commit both: CI does not compile)
#   tools/i18n.sh check      fail if the catalog lacks a msgid of the source or a translation
#   tools/i18n.sh untranslatable   list error messages built with f-strings (stay Vietnamese)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
PYBABEL=${PYBABEL:-$ROOT/.venv/bin/pybabel}
DIR=translations
POT=$DIR/messages.pot
LOCALES=(en)
# babel.cfg names tools/i18n_extract.py as the Python extractor: it must be importable.
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"

extract() {
    local out=${1:-$POT}
    "$PYBABEL" -q extract -F babel.cfg -o "$out" \
        -k lazy_gettext -k _l -k gettext_noop \
        -c "TRANSLATORS:" --add-location=file --sort-by-file \
        --project=lobby --version=0.1.0 --copyright-holder="lobby" .
}

update() {
    for lang in "${LOCALES[@]}"; do
        # No fuzzy matching: a guessed translation of a look-alike sentence is worse than an
        # empty one, which the catalog test reports.
        "$PYBABEL" -q update -i "$POT" -d "$DIR" -l "$lang" \
            --init-missing --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
    done
}

compile() {
    for lang in "${LOCALES[@]}"; do
        "$PYBABEL" compile -d "$DIR" -l "$lang" --statistics
    done
}

check() {
    local tmp
    tmp=$(mktemp)
    trap 'rm -f "$tmp"' RETURN
    extract "$tmp"
    "$PYTHON" - "$tmp" "${LOCALES[@]}" <<'PY'
import sys
from pathlib import Path

from babel.messages.pofile import read_po

pot_path, locales = sys.argv[1], sys.argv[2:]
with open(pot_path, "rb") as f:
    wanted = {m.id for m in read_po(f) if m.id}
bad = 0
for lang in locales:
    po = Path("translations") / lang / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    with po.open("rb") as f:
        catalog = read_po(f)
    have = {m.id: m for m in catalog if m.id}
    for msgid in sorted(wanted - set(have), key=str):
        print(f"{lang}: missing from the catalog: {msgid!r}")
        bad += 1
    for msgid, m in have.items():
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if msgid in wanted and (not all(strings) or m.fuzzy):
            print(f"{lang}: untranslated: {msgid!r}")
            bad += 1
    # A checkout writes both files within moments, in either order: 2 s of slack, as the test.
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime - 2:
        print(f"{lang}: {mo} is older than {po}: run tools/i18n.sh compile")
        bad += 1
print("catalogs OK" if not bad else f"{bad} problem(s): run tools/i18n.sh, translate, compile")
sys.exit(1 if bad else 0)
PY
}

case "${1:-all}" in
    extract) extract ;;
    update) update ;;
    compile) compile ;;
    check) check ;;
    untranslatable) "$PYTHON" -m tools.i18n_extract ;;
    all) extract && update && compile ;;
    *) echo "usage: $0 [all|extract|update|compile|check|untranslatable]" >&2; exit 2 ;;
esac
