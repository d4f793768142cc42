"""One hostile respondent (or whoever hands over a bundle) cannot stop, fool or attack a reviewer.

The bundle mixes honest submissions, sent through the real portal, with every hostile case we
know of: documents of the wrong shape sealed as a modified browser would, images that break
Pillow, file names too long for a file system, scripts declared as photos, records that name a
path as their survey, a damaged trailer, formulas in labels and answer keys. Decrypt must finish,
write the honest ones exactly, name each hostile one, and write nothing outside its folder.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from crypto.bundle import BundleReader
from crypto.errors import KeyFormatError
from crypto.keys import ReviewerKey

from .browsers import chromium, needs_chromium
from .conftest import PASSPHRASE, RunCli, csrf_token, post_multipart
from .helpers import decrypt
from .hostile import (
    FORMULA,
    SCRIPT_PAGE,
    SVG,
    Crafted,
    crafted_definition,
    flip,
    jpeg,
    member_layout,
    png_with_exif,
    rebuild,
    versions,
)

CJK_NAME = "証" * 100 + ".jpg"  # 300 bytes of UTF-8: more than a file name may hold
BEACON_PORT = 9  # nothing listens there; the browser test checks no request is even tried
BEACON = f"http://127.0.0.1:{BEACON_PORT}"


def submit(client: FlaskClient, survey: str, fields: dict[str, object]) -> int:
    token = csrf_token(client.get(f"/s/{survey}").get_data(as_text=True))
    return post_multipart(client, f"/s/{survey}", {"csrf_token": token, **fields}).status_code


def evidence(data: bytes, name: str, declared: str = "image/jpeg") -> tuple[io.BytesIO, str, str]:
    return io.BytesIO(data), name, declared


class HostileBundle:
    def __init__(self, path: Path, honest: dict[str, str], hostile: dict[str, str]) -> None:
        self.path = path
        self.honest = honest  # a text each honest submission carries -> its kind
        self.hostile = hostile  # submission id -> what it tries


@pytest.fixture
def hostile_bundle(
    client: FlaskClient, published: RunCli, reviewer: tuple[Path, ReviewerKey], tmp_path: Path
) -> HostileBundle:
    # Honest respondents, through the real no-JavaScript form.
    needs = {"services_wanted": ["legal", "doctor"], "visits_per_month": "4"}
    assert (
        submit(client, "needs-assessment", {**needs, "suggestions": "Honest-1 more hours"}) == 303
    )
    assert (
        submit(
            client,
            "needs-assessment",
            {"services_wanted": ["condoms"], "suggestions": "=Honest-2 SUM(A1)"},
        )
        == 303
    )
    photo = evidence(jpeg(), "bruise.jpg")
    fields = {"what_happened": "Honest-3 he hit me", "who": ["police"], "evidence": photo}
    assert submit(client, "testimony", fields) == 303
    # Hostile ones that the portal must still accept, because they are valid images.
    bad_exif = evidence(png_with_exif(b"XX\x00*garbage"), "bad-exif.png", "image/png")
    fields = {"what_happened": "Edge-1 bad exif", "who": ["police"], "evidence": bad_exif}
    assert submit(client, "testimony", fields) == 303
    fields = {
        "what_happened": "Edge-2 long file name",
        "who": ["police"],
        "evidence": evidence(jpeg(), CJK_NAME),
    }
    assert submit(client, "testimony", fields) == 303
    honest = tmp_path / "honest.glas"
    assert published("export", "--out", honest).exit_code == 0

    ids = versions(honest)
    testimony, needs_version = ids["testimony"], ids["needs-assessment"]
    crafted = Crafted(reviewer[1].public_key, tmp_path / "crafted")
    crafted.folder.mkdir()
    hostile: dict[str, str] = {}

    def seal(what: str, survey: str, version: str, answers: object, files: object = ()) -> None:
        document = crafted.document(survey, version, answers, files)
        hostile[crafted.seal(survey, version, document)] = what

    t, n = "testimony", "needs-assessment"
    seal("control character in a key", t, testimony, {"what\x01happened": "x"})
    seal("text in an integer question", n, needs_version, {"visits_per_month": "many"})
    seal("1e308 as a number", n, needs_version, {"visits_per_month": 1e308})
    seal("object as a choice", t, testimony, {"what_happened": "x", "place": {"a": 1}})
    seal("list as answers", t, testimony, ["what_happened"])
    seal("string as files", t, testimony, {"what_happened": "x"}, "file-0")
    bad_part = [{"question": "evidence", "part": "x", "name": "a", "type": "image/jpeg", "size": 1}]
    seal("non-numeric file part", t, testimony, {"what_happened": "x"}, bad_part)
    seal("a formula as an answer key", n, needs_version, {FORMULA: "1"})
    # Scripts declared as photos (a browser may declare any type): decrypted, never runnable.
    for name, content in (("photo_of_injury.html", SCRIPT_PAGE), ("map.svg", SVG)):
        data = content.replace(b"%d", str(BEACON_PORT).encode())
        entry = {"question": "evidence", "part": 0, "name": name, "type": "image/jpeg"}
        told = f"Script-{name} <img src=x onerror=\"fetch('{BEACON}/onerror')\"><script>fetch('{BEACON}/inline')</script>"  # noqa: E501
        document = crafted.document(
            t, testimony, {"what_happened": told}, [{**entry, "size": len(data)}]
        )
        crafted.seal(t, testimony, document, [data])
    # Records whose survey id is a path: the bundle's own fields are hostile too.
    absolute = tmp_path / "escaped"
    for survey_id in (str(absolute), "../../escaped"):
        document = crafted.document(survey_id, testimony, {"what_happened": "x"})
        hostile[crafted.seal(survey_id, testimony, document)] = "a path as survey id"
    # A definition whose labels are formulas, and a well-formed answer to it.
    with BundleReader(honest) as reader:
        definition = reader.surveys[needs_version]
    digest, formula_definition = crafted_definition(definition)
    answers = {"services_wanted": ["legal"], "suggestions": "Formula-labels"}
    crafted.seal("needs-assessment", digest, crafted.document("needs-assessment", digest, answers))

    bundle = tmp_path / "mixed.glas"
    rebuild(honest, bundle, crafted, {digest: formula_definition})
    _, data, size = member_layout(bundle)["end.json"]
    damaged = flip(bundle, data + size // 2, tmp_path / "hostile.glas")
    bundle.unlink()
    return HostileBundle(
        damaged,
        {"Honest-1": "needs", "Honest-2": "needs", "Honest-3": "testimony"},
        hostile,
    )


@pytest.fixture
def decrypted(
    hostile_bundle: HostileBundle,
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> Path:
    """The hostile bundle decrypted by Ana into ``tmp_path / "out"``."""
    out = tmp_path / "out"
    decrypt(published, out, [hostile_bundle.path], [reviewer[0]], passphrase_file)
    return out


def all_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def test_a_hostile_bundle_decrypts_every_honest_submission_and_names_each_hostile_one(
    hostile_bundle: HostileBundle,
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    before = all_files(tmp_path)
    result = decrypt(published, out, [hostile_bundle.path], [reviewer[0]], passphrase_file)

    assert result.exit_code == 1, result.output
    for submission_id, what in hostile_bundle.hostile.items():
        assert f"Submission {submission_id}: " in result.stderr, what
    assert "end.json is damaged" in result.stderr
    assert "Traceback" not in result.output

    # Nothing escaped the output folder.
    assert all_files(tmp_path) - before <= all_files(out) | {out}
    assert not (tmp_path / "escaped").exists()
    assert not list(out.rglob(".partial*")) and not (out / ".partial").exists()

    # Every honest submission is there, exactly.
    rows = {}
    for table in out.glob("*/*/answers.csv"):
        with open(table, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                rows[row["submission_id"]] = row
    texts = json.dumps(list(rows.values()), ensure_ascii=False)
    for marker in hostile_bundle.honest:
        assert marker in texts
    assert not set(hostile_bundle.hostile) & set(rows)
    (honest_3,) = [r for r in rows.values() if r.get("what_happened") == "Honest-3 he hit me"]
    folder = out / "testimony" / honest_3["survey_version"]
    assert honest_3["evidence"].startswith("files/scrubbed/")  # the table points at the copy
    assert (folder / honest_3["evidence"]).is_file()
    (original,) = (folder / "files" / "original" / honest_3["submission_id"]).iterdir()
    assert original.read_bytes() == jpeg()
    (needs_2,) = [r for r in rows.values() if "Honest-2" in r.get("suggestions", "")]
    assert needs_2["suggestions"] == "'=Honest-2 SUM(A1)"  # kept, and never a formula

    # The edge cases are written, and said to be checked by hand where they could not be read.
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "not scrubbed — check by hand" in report
    long_named = [p for p in out.rglob("*.jpg") if p.name.startswith("証")]
    assert long_named and all(len(p.name.encode()) <= 255 for p in long_named)
    # The scripts are there for the reviewer, as files nothing opens in a browser.
    assert {p.name for p in out.rglob("photo_of_injury*")} == {"photo_of_injury_html.bin"}
    assert {p.name for p in out.rglob("map*")} == {"map_svg.bin"}
    for path in out.rglob("*"):
        assert path.suffix not in (".svg", ".js", ".xml", ".htm") or path.parent == out

    # The report lists the failures; every page forbids script and network.
    for submission_id in hostile_bundle.hostile:
        assert submission_id in report
    for page in out.rglob("*.html"):
        assert "default-src 'none'" in page.read_text(encoding="utf-8")


def test_no_spreadsheet_cell_of_a_hostile_bundle_is_a_formula(decrypted: Path) -> None:
    out = decrypted
    books = list(out.glob("*/*/answers.xlsx"))
    # testimony, needs assessment, the version with formula labels, and both versions joined
    assert len(books) == 4
    seen_formula_text = False
    for path in books:
        for sheet in load_workbook(path).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
                        seen_formula_text |= "HYPERLINK" in cell.value
    assert seen_formula_text  # the crafted labels are there, as text
    for table in out.glob("*/*/answers.csv"):
        with open(table, newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                for value in row:
                    assert not value.startswith(("=", "+", "@", "\t", "\r")), value


TOLD = {"what_happened": "What happened, told at length.", "who": ["police"]}


def test_the_no_javascript_form_refuses_scripts_declared_as_photos(client: FlaskClient) -> None:
    for name, content in (("photo.html", SCRIPT_PAGE), ("photo.jpg", SVG), ("x.svg", SVG)):
        token = csrf_token(client.get("/s/testimony").get_data(as_text=True))
        fields = {"csrf_token": token, **TOLD, "evidence": evidence(content, name)}
        response = post_multipart(client, "/s/testimony", fields)
        assert response.status_code == 422, name
        assert "Please attach only files of these kinds" in response.get_data(as_text=True)


def test_the_no_javascript_form_takes_photos_by_their_content(client: FlaskClient) -> None:
    # A real JPEG declared with no type, or as something else, is a photo all the same.
    for declared in ("", "application/octet-stream", "text/html"):
        fields = {**TOLD, "evidence": evidence(jpeg(), "IMG_0001.JPG", declared)}
        assert submit(client, "testimony", fields) == 303, declared


def test_a_key_file_asking_for_more_than_the_strongest_argon2_preset_is_refused_unread(
    reviewer: tuple[Path, ReviewerKey], tmp_path: Path
) -> None:
    document = json.loads(reviewer[0].read_text())
    for name, value in (("opslimit", 10**9), ("memlimit", 64 * 1024**3)):
        planted = tmp_path / f"{name}.key"
        planted.write_text(json.dumps({**document, "kdf": {**document["kdf"], name: value}}))
        with pytest.raises(KeyFormatError, match="outside the allowed range"):
            ReviewerKey.load(planted, PASSPHRASE.encode())


@pytest.mark.browser
@pytest.mark.slow
@needs_chromium
def test_chromium_opens_every_generated_page_and_link_and_nothing_runs_or_calls_out(
    decrypted: Path,
) -> None:
    out = decrypted
    pages = sorted(out.rglob("*.html"))
    assert len(pages) >= 5  # report, two indexes, testimonies
    requests: list[str] = []
    visited: set[str] = set()
    with chromium() as browser:
        context = browser.new_context(accept_downloads=True)
        context.route("**/*", lambda route: _record(route, requests))
        page = context.new_page()
        page.on("request", lambda r: r.url.startswith("file:") or requests.append(r.url))
        links: list[str] = []
        for html in pages:
            page.goto(html.as_uri())
            links += page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        for link in sorted(set(links)):
            visited.add(link)
            try:
                page.goto(link)
            except Exception as e:  # a download (.bin) is not a page: Playwright raises
                assert "Download is starting" in str(e) or "net::ERR_ABORTED" in str(e), e
        context.close()
    assert any(link.endswith(".bin") for link in visited)
    assert any("scrubbed" in link for link in visited)
    assert requests == []  # no script ran a fetch, no image loaded from anywhere


def _record(route: object, requests: list[str]) -> None:
    url = route.request.url  # type: ignore[attr-defined]
    if not url.startswith("file:"):
        requests.append(url)
    route.continue_() if url.startswith("file:") else route.abort()  # type: ignore[attr-defined]
