"""Adversarial inputs built from copies of the real files."""

from __future__ import annotations

import csv
import json

import pytest

from proximite import paths
from proximite.errors import InputError
from proximite.sources import (
    load_broadband,
    load_communes,
    load_france_services,
    load_mediation_venues,
)

SRC = paths.FRANCE_SERVICES_CSV


def _rows():
    with SRC.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _write(path, header, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def real():
    return _rows()


def test_swapped_coordinates(tmp_path, real):
    header, rows = real
    ilat, ilon = header.index("latitude"), header.index("longitude")
    rows = [list(r) for r in rows]
    swapped_ids = []
    for r in rows[:40:4]:
        r[ilat], r[ilon] = r[ilon], r[ilat]
        swapped_ids.append(r[0])
    gdf = load_france_services(_write(tmp_path / "fs.csv", header, rows))
    report = gdf.attrs["report"]
    assert report.count("swapped_coordinates") == 10
    assert len(gdf) == 2845
    ref = load_france_services().set_index("id_fs")
    got = gdf.set_index("id_fs")
    for fid in swapped_ids:
        assert got.loc[fid, "latitude"] == ref.loc[fid, "latitude"]
        assert got.loc[fid].geometry.equals(ref.loc[fid].geometry)


def test_coordinates_outside_france(tmp_path, real):
    header, rows = real
    ilat, ilon = header.index("latitude"), header.index("longitude")
    rows = [list(r) for r in rows]
    rows[5][ilat], rows[5][ilon] = "0", "0"
    rows[6][ilat], rows[6][ilon] = "", ""
    gdf = load_france_services(_write(tmp_path / "fs.csv", header, rows))
    report = gdf.attrs["report"]
    assert report.count("coordinates_outside_france") == 1
    assert report.count("missing_coordinates") == 1
    assert len(gdf) == 2843
    without = gdf.attrs["report"].without_coordinates
    assert without["id_fs"].tolist() == [rows[5][0], rows[6][0]]
    assert report.rows_read == 2845 and report.rows_kept == 2843


def test_truncated_mid_row(tmp_path):
    text = SRC.read_text(encoding="utf-8")
    cut = text[: len(text) // 2]
    cut = cut[: cut.rfind("\n") + 40]  # a few characters into the next row
    path = tmp_path / "fs.csv"
    path.write_text(cut, encoding="utf-8")
    gdf = load_france_services(path)
    assert gdf.attrs["report"].count("truncated_row") == 1
    assert 1000 < len(gdf) < 1500


def test_truncated_inside_quoted_field(tmp_path):
    text = SRC.read_text(encoding="utf-8")
    start = text.index('"France services de Valserhône"')
    path = tmp_path / "fs.csv"
    path.write_text(text[: start + 10], encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_france_services(path)
    assert str(path) in str(err.value) or "no data row" in str(err.value)
    path.write_text(text[: text.index('"France services Nouvion') + 5], encoding="utf-8")
    gdf = load_france_services(path)
    assert len(gdf) == 3
    assert gdf.attrs["report"].count("truncated_row") == 1


def test_truncated_json(tmp_path):
    text = paths.MEDIATION_JSON.read_text(encoding="utf-8")
    path = tmp_path / "venues.json"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(InputError, match=r"truncated JSON at line \d+, column \d+") as err:
        load_mediation_venues(path)
    assert err.value.path == str(path)


def test_script_name_verbatim(tmp_path, real):
    header, rows = real
    rows = [list(r) for r in rows]
    evil = "<script>alert(1)</script>"
    rows[0][header.index("lib_fs")] = evil
    rows[1][header.index("commentaire")] = 'a "quoted", multi\nline & <b>text</b>'
    gdf = load_france_services(_write(tmp_path / "fs.csv", header, rows))
    assert gdf.loc[gdf["id_fs"] == rows[0][0], "lib_fs"].item() == evil
    assert gdf.loc[gdf["id_fs"] == rows[1][0], "commentaire"].item() == (
        'a "quoted", multi\nline & <b>text</b>'
    )


def test_script_name_verbatim_json(tmp_path):
    data = json.loads(paths.MEDIATION_JSON.read_text(encoding="utf-8"))
    located = next(i for i, v in enumerate(data) if v.get("latitude") is not None)
    data[located]["nom"] = "<script>alert(1)</script>"
    path = tmp_path / "v.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    gdf = load_mediation_venues(path)
    assert (gdf["nom"] == "<script>alert(1)</script>").sum() == 1


def test_missing_column(tmp_path, real):
    header, rows = real
    i = header.index("insee_com")
    path = _write(
        tmp_path / "fs.csv", header[:i] + header[i + 1 :], [r[:i] + r[i + 1 :] for r in rows]
    )
    with pytest.raises(InputError) as err:
        load_france_services(path)
    assert "insee_com" in str(err.value)
    assert str(path) in str(err.value)
    assert err.value.field == "insee_com"


def test_missing_column_json(tmp_path):
    data = json.loads(paths.MEDIATION_JSON.read_text(encoding="utf-8"))
    for v in data:
        v.pop("services")
    path = tmp_path / "v.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match="services"):
        load_mediation_venues(path)


@pytest.mark.parametrize("content", ["", "   \n\n"])
def test_empty_files(tmp_path, content):
    for name, loader in [
        ("fs.csv", load_france_services),
        ("v.json", load_mediation_venues),
        ("b.json", load_broadband),
    ]:
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        with pytest.raises(InputError, match="empty file") as err:
            loader(path)
        assert err.value.path == str(path)


def test_header_only(tmp_path, real):
    header, _ = real
    with pytest.raises(InputError, match="no data row"):
        load_france_services(_write(tmp_path / "fs.csv", header, []))


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_france_services(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="file not found"):
        load_communes("05", path=tmp_path / "nope.json")


def test_malformed_and_unpadded_insee(tmp_path, real):
    header, rows = real
    i = header.index("insee_com")
    rows = [list(r) for r in rows]
    assert rows[0][i] == "01033"
    rows[0][i] = "1033"  # an integer that lost its leading zero: repaired
    rows[1][i] = "ABCDE"  # malformed: warning, code missing, row kept
    rows[2][i] = ""
    gdf = load_france_services(_write(tmp_path / "fs.csv", header, rows))
    report = gdf.attrs["report"]
    assert report.count("repaired_insee") == 1
    assert report.count("malformed_insee") == 1
    assert report.count("missing_insee") == 1
    assert gdf.loc[gdf["id_fs"] == rows[0][0], "insee_com"].item() == "01033"
    assert gdf.loc[gdf["id_fs"] == rows[1][0], "insee_com"].isna().all()
    assert len(gdf) == 2845
    assert [i.row for i in report.issues if i.kind.endswith("insee")] == [1, 2, 3]


def test_duplicate_ids(tmp_path, real):
    header, rows = real
    rows = [list(r) for r in rows] + [list(rows[0])]
    gdf = load_france_services(_write(tmp_path / "fs.csv", header, rows))
    assert gdf.attrs["report"].count("duplicate_id") == 1
    assert len(gdf) == 2846


def test_unparsable_hours(tmp_path, real):
    header, rows = real
    rows = [list(r) for r in rows]
    rows[0][header.index("h_mardi")] = "sur rendez-vous"
    rows[1][header.index("h_samedi")] = "le matin"
    gdf = load_france_services(_write(tmp_path / "fs.csv", header, rows))
    assert gdf.attrs["report"].count("unparsable_hours") == 2
    assert gdf["weekly_hours"].isna().sum() == 2
    assert gdf.loc[gdf["id_fs"] == rows[1][0], "open_saturday"].item()


def test_bad_departement_filter():
    with pytest.raises(InputError, match="unknown département"):
        load_france_services(departements="99")


def test_broadband_unknown_format(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="unrecognised broadband format"):
        load_broadband(path)


def test_broadband_companion_passed_as_main(tmp_path):
    with pytest.raises(InputError, match="companion"):
        load_broadband(paths.DATA_DIR / "broadband" / "arcep-communes-05-2018T1.csv")


def test_broadband_detected_from_content(tmp_path):
    path = tmp_path / "internet.csv"  # a JSON file with a misleading extension
    path.write_bytes(paths.BROADBAND_JSON.read_bytes())
    assert len(load_broadband(path)) == 162
