"""The cockpit's commands as a user reads them: ``ipcockpit cockpit`` in the CLI's language (rounded figures,
the forecast method and the status in words), ``ipcockpit report --csv`` with a Chinese file (Chinese
headers, indicator names in Chinese or English) and with the reported-values page's own download, and
``ipcockpit publish``.

The stores are built by code (the plan's baselines of the built-in Bishan profile plus values reported
here); the expected forecasts are worked out by hand in each test from the least-squares line through
two points (the baseline and one report), so they do not depend on the code under test.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app

runner = CliRunner()
WIDE = {"COLUMNS": "240"}  # a wide table: one line per indicator


def _invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=WIDE)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    """The plan's baselines and two reports: copyright registrations 401.3333 in 2022 (baseline 373 in
    2020, target 450) and IP service agencies 24 in 2023 (baseline 21, target 50)."""
    path = str(tmp_path / "cockpit.duckdb")
    with Cockpit(db=path) as c:
        c.load_plan_baselines()
        c.report_value("copyright_registrations", 2022, 401.3333, "区版权局年报（测试）", "区知识产权局")
        c.report_value("ip_service_agencies", 2023, 24, "服务机构名录（测试）", "区知识产权局")
    return path


def _line(out: str, name: str) -> str:
    found = [ln for ln in out.splitlines() if name in ln]
    assert len(found) == 1, (name, out)
    return found[0]


def test_cockpit_prints_rounded_figures_and_words(db: str, tmp_path: Path) -> None:
    code, out, err = _invoke("cockpit", "--year", "2023", "--db", db)
    assert code == 0, err
    # forecasts by hand: copyright 401.3333 + 3 years x (401.3333 - 373) / 2 = 443.83 (>= 90 % of 450: at
    # risk); agencies 24 + 2 x (24 - 21) / 3 = 26 (< 45: off track)
    copyright_ = _line(out, "普通作品版权登记量")
    assert "443.83（线性趋势）" in copyright_ and "有风险" in copyright_, copyright_
    agencies = _line(out, "知识产权服务机构")
    assert "26（线性趋势）" in agencies and "滞后" in agencies and "填报" in agencies, agencies
    for raw in ("(linear)", "off_track", "at_risk", "on_track", "443.8333", "reported"):
        assert raw not in out, raw
    assert "指标" in out and "状态" in out and "预测" in out  # the headers in Chinese
    # the reasons on stderr in Chinese too (satisfaction: no report since the baseline year)
    assert "No value" not in err and "知识产权保护社会满意度" in err, err
    english = tmp_path / "en.yaml"
    english.write_text("language: en\n", encoding="utf-8")
    code, out, err = _invoke("cockpit", "--year", "2023", "--db", db, "--config", str(english))
    assert code == 0, err
    copyright_ = _line(out, "Copyright registrations of general works")
    assert "443.83 (linear trend)" in copyright_ and "At risk" in copyright_, copyright_
    assert "Off track" in _line(out, "IP service agencies")
    assert "普通作品版权登记量" not in out and "滞后" not in out


def test_report_csv_in_chinese(db: str, tmp_path: Path) -> None:
    """A CSV as an office writes it: GBK, Chinese headers (the page's form labels 依据文件, 指标名称 ...),
    indicators by Chinese name, English name or id, the population by its name without the bracket."""
    path = tmp_path / "2023年填报.csv"
    path.write_bytes((
        "地区代码,指标名称,年份,数值,依据文件,填报人,备注\n"
        "500120,普通作品版权登记量,2023,402,区版权局年报2023,区知识产权局,\n"
        "500120,IP service agencies,2024,30,服务机构名录2024,区知识产权局,英文名称\n"
        "500120,常住人口,2023,760000,统计公报2023（测试值）,区统计局,\n"
        "500120,protection_satisfaction,2023,85.5,满意度调查2023,区知识产权局,\n"
    ).encode("gbk"))
    code, out, err = _invoke("report", "--csv", str(path), "--db", db, "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [(r["indicator"], r["year"], r["value"]) for r in rows] == [
        ("copyright_registrations", 2023, 402.0), ("ip_service_agencies", 2024, 30.0),
        ("population", 2023, 760000.0), ("protection_satisfaction", 2023, 85.5)]
    assert rows[0]["source_document"] == "区版权局年报2023" and rows[1]["note"] == "英文名称"
    bad = tmp_path / "错.csv"
    bad.write_text("指标名称,年份,数值,依据文件,填报人\n发明专利数量,2023,1,x,y\n", encoding="utf-8")
    code, _, err = _invoke("report", "--csv", str(bad), "--region", "500120", "--db", db)
    assert code == 2 and "'发明专利数量' is not an indicator of region 500120" in err, err
    assert "每万人发明专利拥有量" in err  # the names it would take


def test_the_reported_download_round_trips(db: str, tmp_path: Path) -> None:
    """Download the reported values (as the reported-values page offers them), change one value, import
    the file with ``report --csv``: the changed row is written, unchanged and superseded rows are not."""
    with Cockpit(db=db) as c:
        c.report_value("ip_service_agencies", 2023, 25, "服务机构名录（更正）", "区知识产权局")  # supersedes 24
        c.add_user("ana", "analyst", "analyst-password-1")
    with TestClient(create_app(Settings(db=db), read_only=True)) as web:
        assert web.post("/login", json={"username": "ana", "password": "analyst-password-1"}).status_code == 200
        r = web.get("/cockpit/reported.csv", params={"lang": "zh-CN"})
        assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    before = len(rows)
    assert before == 12  # 9 plan baselines, 3 reports (one superseded)
    # the page's labels (地区, 指标, 年份, 数值, 依据文件, 填报人, 备注, 口径, 是否当前值) are headers the import reads
    assert {"地区", "指标", "年份", "数值", "依据文件", "填报人", "备注", "口径", "是否当前值"} <= set(rows[0])
    for row in rows:
        if row["指标"] == "copyright_registrations" and row["年份"] == "2022":
            row["数值"] = "405"
    path = tmp_path / "reported.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    code, out, err = _invoke("report", "--csv", str(path), "--by", "区知识产权局", "--db", db, "--json")
    assert code == 0, err
    assert [(r["indicator"], r["year"], r["value"]) for r in json.loads(out)] == [
        ("copyright_registrations", 2022, 405.0)]
    with Cockpit(db=db) as c:
        assert len(c.reported()) == before + 1


def test_publish_from_the_command_line(db: str) -> None:
    code, out, err = _invoke("report", "copyright_registrations", "402", "--year", "2023", "--source",
                             "区版权局年报2023", "--by", "区知识产权局", "--db", db)
    assert code == 0, err
    m = re.search(r"\b(\d+)\b\W+500120\W+copyright_registrations", out)  # the table names the id to publish
    assert m, out
    new_id = m.group(1)
    assert "未发布" in out and "ipcockpit publish" in err, (out, err)

    def public_card() -> dict:
        code, out, err = _invoke("cockpit", "--published", "--year", "2023", "--db", db, "--json")
        assert code == 0, err
        return {c["id"]: c for c in json.loads(out)["indicators"]}["copyright_registrations"]

    assert (public_card()["value"], public_card()["year"]) == (373, 2020)  # unpublished: the plan's baseline
    code, out, err = _invoke("publish", new_id, "--by", "审核人", "--db", db)
    assert code == 0, err
    assert "审核人" in out and "已发布" in out, out
    card = public_card()
    assert (card["value"], card["year"]) == (402, 2023) and card["provenance"]["reported_by"] == "区知识产权局"
    # withdraw by indicator and year instead of the id
    code, out, err = _invoke("publish", "--indicator", "copyright_registrations", "--year", "2023", "--withdraw",
                             "--by", "审核人", "--db", db, "--json")
    assert code == 0, err
    assert [(r["id"], r["published"]) for r in json.loads(out)] == [(int(new_id), False)]
    assert public_card()["year"] == 2020
    code, _, err = _invoke("publish", "99999", "--by", "审核人", "--db", db)
    assert code == 2 and "99999" in err
    code, _, err = _invoke("publish", "--by", "审核人", "--db", db)
    assert code == 2 and "--indicator" in err
