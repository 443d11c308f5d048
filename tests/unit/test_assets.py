"""The vendored front-end build: a council service's stylesheet, not GOV.UK's."""

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "src" / "handover" / "web" / "static" / "handover"


def test_css_uses_helvetica_arial_and_no_gds_transport():
    css = (STATIC / "handover.css").read_text(encoding="utf-8")
    assert "GDS Transport" not in css
    assert 'font-family:"Helvetica Neue",Helvetica,Arial,sans-serif' in css


def test_asset_urls_point_at_django_static_files_and_exist():
    css = (STATIC / "handover.css").read_text(encoding="utf-8")
    assert "url(/assets/" not in css and 'url("/assets/' not in css
    for name in ("icon-document.svg", "icon-progress-tick.svg", "icon-toggle-plus-minus.svg"):
        assert f"/static/handover/images/{name}" in css
        assert (STATIC / "images" / name).exists()


def test_no_crown_or_govuk_logotype_is_shipped():
    names = [p.name for p in (STATIC / "images").iterdir()]
    assert not [n for n in names if "crown" in n or "crest" in n or "logotype" in n]


def test_pinned_versions_are_recorded():
    versions = (STATIC / "VERSIONS.txt").read_text(encoding="utf-8")
    assert "govuk-frontend 6." in versions and "@ministryofjustice/frontend 11." in versions


def test_every_url_in_the_css_is_shipped():
    css = (STATIC / "handover.css").read_text(encoding="utf-8")
    for url in set(re.findall(r'url\("?(/static/handover/[^")]+)"?\)', css)):
        assert (STATIC.parent / url.removeprefix("/static/")).exists(), url
