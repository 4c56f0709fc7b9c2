"""``proximite route`` on a hand-made network (known answer) and on the real 05 roads."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from _network_fixtures import cache_dir, road, write_roads
from proximite import paths
from proximite.cli import main
from proximite.cli.route import parse_lonlat
from proximite.errors import InputError


def _lonlat(x, y):
    from _network_fixtures import X0, Y0

    p = gpd.GeoSeries([Point(X0 + x, Y0 + y)], crs="EPSG:2154").to_crs(4326).iloc[0]
    return f"{p.x:.9f},{p.y:.9f}"


def test_route_cli_known_answer(tmp_path, capsys):
    f = write_roads(tmp_path / "r.geojson", [
        road([(0, 0), (3000, 0)], fclass="primary"),  # 70 km/h
        road([(3000, 0), (3000, 4000)], fclass="residential"),  # 30 km/h
    ])
    rc = main(["route", "--roads", str(f), "--from", _lonlat(0, 0), "--to", _lonlat(3000, 4000),
               "--cache", str(tmp_path / "c")])
    out = capsys.readouterr().out.strip()
    assert rc == 0
    minutes = (3000 / (70 / 3.6) + 4000 / (30 / 3.6)) / 60  # 10.57 min
    assert out == f"{minutes:.1f} min, 7.00 km"
    # the cache was written and is used again
    assert len(list((tmp_path / "c").glob("*.npz"))) == 1
    assert main(["route", "--roads", str(f), "--from", _lonlat(3000, 4000), "--to",
                 _lonlat(0, 0), "--cache", str(tmp_path / "c")]) == 0
    assert capsys.readouterr().out.strip() == f"{minutes:.1f} min, 7.00 km"


@pytest.mark.parametrize("bad", ["6.1", "abc,44", "6.1,95", "200,44", "nan,44", "1,2,3"])
def test_route_cli_bad_coordinates(bad, capsys):
    rc = main(["route", "--from", bad, "--to", "6.1,44.6"])
    err = capsys.readouterr().err
    assert rc == 1 and err.startswith("proximite route: error:") and err.count("\n") == 1
    with pytest.raises(InputError):
        parse_lonlat(bad, "--from")


def test_route_cli_far_from_roads(tmp_path, capsys):
    f = write_roads(tmp_path / "r.geojson", [road([(0, 0), (3000, 0)])])
    rc = main(["route", "--roads", str(f), "--from", "6.0,44.0", "--to", _lonlat(0, 0),
               "--no-cache"])
    assert rc == 1 and "max_snap_m" in capsys.readouterr().err


def test_route_cli_on_05(capsys, monkeypatch):
    monkeypatch.setenv("PROXIMITE_CACHE", str(cache_dir()))
    # Gap (préfecture) -> Briançon (sous-préfecture)
    rc = main(["route", "--roads", str(paths.ROADS_05), "--from", "6.0794,44.5594",
               "--to", "6.6436,44.8986"])
    out = capsys.readouterr().out
    assert rc == 0
    minutes, km = float(out.split()[0]), float(out.split()[2])
    assert 55 < minutes < 100  # about 1 h 10 by the N94
    assert 80 < km < 95
