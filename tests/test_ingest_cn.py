"""Chinese table exports (SQL dump, GBK CSV, XLSX), CNKI, and the Chinese CSV data sets, on real files."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from ipcockpit.app import Cockpit
from ipcockpit.ingest import registry
from ipcockpit.ingest.cn_table import ChineseTableCsv, class_codes, parse_sql_rows, split_multi
from ipcockpit.ingest.column_maps import load_column_map
from ipcockpit.ingest.sources import file_source
from ipcockpit.model.records import PatentRecord
from ipcockpit.settings import Settings

SQL = "cn/table_export_sample/专利总表(案例).sql"
CNKI = "cn/cnki_export/MaterialChemistry_18_19.xlsx"
TITLES = "cn/titles_ipc_lxingy3/oof_predictions.csv"
CPC_TRAIN = "cn/abstracts_cpc_liaoleyuan/sample_train.csv"
CPC_VAL = "cn/abstracts_cpc_liaoleyuan/sample_val.csv"


def _sql_rows(shared: Path) -> list[dict[str, str | None]]:
    return parse_sql_rows((shared / SQL).read_text(encoding="utf-8"))


def _docs(path: Path) -> list[PatentRecord]:
    src = file_source(path)
    ing = registry.detect(src)
    assert ing is not None, path
    out = []
    for rec in ing.read(src):
        assert isinstance(rec, PatentRecord), rec
        out.append(replace(rec, position=None))
    return out


def test_sql_dump_counts_and_fields(cockpit: Cockpit, shared: Path) -> None:
    rows = _sql_rows(shared)
    assert len(rows) == 10 and len(rows[0]) == 61  # 10 INSERTs of the 61-column 专利总表 (grep -c INSERT)
    [r] = cockpit.ingest([shared / SQL])
    assert r.format == "cn-table-sql"
    # row 10 has 公开号 CN115883397A and 授权公告号 CN115883397B: two publications, 11 records
    assert (r.read, r.loaded, r.quarantined, r.merged) == (11, 11, 0, 0)
    q = cockpit.store.query
    doc = q("SELECT * FROM documents WHERE doc_id = 'CN218751475U'")[0]
    assert doc["title"] == "一种无人机机载多功能盒"
    assert (doc["app_id"], str(doc["app_date"]), str(doc["pub_date"])) == ("CN202223220665", "2022-12-02", "2023-03-28")
    assert (doc["doc_type"], doc["stage"], doc["status"]) == ("utility_model", "grant", "有权-审定授权")
    main = q("SELECT code FROM classifications WHERE doc_id = 'CN218751475U' AND main")
    assert [m["code"] for m in main] == ["B64U 20/80"]
    app = q("SELECT * FROM parties WHERE doc_id = 'CN218751475U' AND role = 'applicant'")[0]
    assert app["name_raw"] == "中科大数据研究院" and app["type"] == "institute"  # 申请人类型 科研机构
    assert (app["province"], app["city"], app["admin_code"], app["country"]) == ("河南省", "郑州市", "410100", "CN")
    grant = q("SELECT * FROM documents WHERE doc_id = 'CN115883397B'")[0]
    assert (grant["stage"], str(grant["grant_date"]), grant["app_id"]) == ("grant", "2024-04-05", "CN202211359874")
    assert q("SELECT stage FROM documents WHERE doc_id = 'CN115883397A'")[0]["stage"] == "application"
    assert cockpit.store.scalar("SELECT count(*) FROM inventors WHERE doc_id = 'CN116245100A'") == 6
    ev = q("SELECT * FROM legal_events WHERE doc_id = 'CN116245100A'")
    assert [(e["event_class"], str(e["event_date"])) for e in ev] == [("examination", "2023-06-27")]
    assert q("SELECT count(*) AS n FROM citations WHERE npl")[0]["n"] == 1


def test_gbk_csv_and_xlsx_give_the_same_documents(shared: Path, tmp_path: Path) -> None:
    rows = _sql_rows(shared)
    cols = list(rows[0])
    gbk = tmp_path / "专利导出_gbk.csv"
    with gbk.open("w", encoding="gbk", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerows([r[c] for c in cols] for r in rows)
    assert file_source(gbk).encoding() == "gb18030"
    xlsx = tmp_path / "专利导出.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["incoPat 检索结果"])  # a title row above the header, as exports have
    ws.append(cols)
    for r in rows:
        ws.append([r[c] for c in cols])
    wb.save(xlsx)
    from_sql, from_csv, from_xlsx = _docs(shared / SQL), _docs(gbk), _docs(xlsx)
    assert len(from_sql) == 11
    assert from_csv == from_sql
    assert from_xlsx == from_sql
    assert registry.detect(file_source(gbk)).name == "cn-table-csv"
    assert registry.detect(file_source(xlsx)).name == "cn-table-xlsx"


def test_unknown_columns_are_kept_and_events_read(tmp_path: Path, cockpit: Cockpit) -> None:
    f = tmp_path / "incopat.csv"
    f.write_text(
        "\ufeff公开（公告）号,申请号,申请日,公开（公告）日,标题,申请(专利权)人,申请人地址,IPC主分类,IPC,"
        "专利转移次数,转让日期,受让人,质押次数,质押日期,质权人,质押金额（万元）,无效宣告日期,自定义评分,备注\n"
        "CN114081026A,CN202111234567.8,2021-09-01,2022-02-22,一种水电站高压输电线路驱鸟保护装置,"
        "\"重庆某某科技有限公司；张三\",402760 重庆市璧山区璧泉街道双星大道8号,A01M29/00,A01M29/00;H02G7/00,"
        "2,2022-05-01,重庆甲公司,1,2023-01-10,重庆银行股份有限公司,500,2023-06-01,87,内部\n",
        encoding="utf-8",
    )
    ing = registry.detect(file_source(f))
    assert ing is not None and ing.name == "cn-table-csv"
    [rec] = list(ing.read(file_source(f)))
    # the unknown columns, and the mark that the table records pledges (it has 质押 columns)
    assert rec.extra == {"自定义评分": "87", "备注": "内部", "records_pledges": True}
    match = load_column_map().match(next(csv.reader(f.read_text(encoding="utf-8-sig").splitlines())))
    assert match.unknown_names == ["自定义评分", "备注"]
    assert [p.name for p in rec.parties if p.role == "applicant"] == ["重庆某某科技有限公司", "张三"]
    events = [(e.event_class, e.event_date and e.event_date.isoformat(), e.counterparty, e.amount)
              for e in rec.legal_events]
    assert events == [
        ("transfer", "2022-05-01", None, None),  # two transfers counted, one dated: the second is undated
        ("transfer", None, None, None),
        ("pledge", "2023-01-10", "重庆银行股份有限公司", 5_000_000.0),
        ("invalidation_request", "2023-06-01", None, None),
    ]
    [r] = cockpit.ingest([f])
    assert r.loaded == 1
    party = cockpit.store.query("SELECT * FROM parties WHERE role = 'applicant' ORDER BY seq")[0]
    assert (party["district"], party["admin_code"]) == ("璧山区", "500120")


def test_csv_without_known_columns_is_not_recognised(tmp_path: Path, cockpit: Cockpit) -> None:
    f = tmp_path / "名单.csv"
    f.write_text("姓名,部门,电话\n张三,财务,123\n", encoding="gbk")
    assert registry.detect(file_source(f)) is None
    g = tmp_path / "titles_only.csv"  # known columns but neither 申请号 nor 公开号
    g.write_text("标题,申请人,摘要\n一种装置,某公司,本发明\n", encoding="utf-8")
    assert not ChineseTableCsv().sniff(file_source(g))
    [r] = cockpit.ingest([f])
    assert r.format is None and r.error and "名单.csv" in r.error


def test_extra_column_map_from_settings(tmp_path: Path) -> None:
    maps = tmp_path / "maps"
    maps.mkdir()
    (maps / "mine.yaml").write_text("fields:\n  pub_number: [文献编号]\n  title: [发明题目]\n", encoding="utf-8")
    f = tmp_path / "mine.csv"
    f.write_text("文献编号,发明题目,申请日\nCN116595400A,一种人员聚集发现算法,20230523\n", encoding="utf-8")
    assert registry.detect(file_source(f)) is None
    ing = registry.detect(file_source(f), Settings(column_maps=str(maps)))
    assert ing is not None and ing.name == "cn-table-csv"
    [rec] = list(ing.read(file_source(f)))
    assert (rec.doc_id, rec.title, str(rec.app_date)) == ("CN116595400A", "一种人员聚集发现算法", "2023-05-23")


def test_cnki_export(cockpit: Cockpit, shared: Path) -> None:
    [r] = cockpit.ingest([shared / CNKI])
    assert r.format == "cnki-xlsx"
    assert (r.read, r.loaded) == (33, 33)  # 34 sheet rows with the header (openpyxl max_row)
    doc = cockpit.store.query("SELECT * FROM documents WHERE doc_id = 'CN108982325A'")[0]
    assert doc["title"] == "地下防污屏障材料化学相容性测试装置及方法"
    assert (str(doc["app_date"]), str(doc["pub_date"]), doc["stage"]) == ("2018-07-30", "2018-12-11", "application")
    names = cockpit.store.query("SELECT name_raw FROM parties WHERE doc_id = 'CN105367415B' ORDER BY seq")
    assert [n["name_raw"] for n in names] == ["航天资源循环科技有限公司", "中国科学院过程工程研究所"]
    assert cockpit.store.scalar("SELECT count(*) FROM inventors WHERE doc_id = 'CN108982325A'") == 4
    assert cockpit.store.scalar("SELECT count(*) FROM texts WHERE kind = 'first_claim'") == 33


def test_ipc_titles_set(cockpit: Cockpit, shared: Path) -> None:
    [r] = cockpit.ingest([shared / TITLES])
    assert r.format == "cn-ipc-titles"
    assert (r.read, r.loaded) == (9740, 9740)  # wc -l = 9,741 with the header, 9,740 distinct numbers
    doc = cockpit.store.query("SELECT * FROM documents WHERE doc_id = 'CN111504366B'")[0]
    assert doc["title"] == "基于人工智能的流体输送系统精确计量方法及计量装置"
    codes = cockpit.store.query("SELECT code FROM classifications WHERE doc_id = 'CN111504366B' ORDER BY seq")
    assert [c["code"] for c in codes] == ["G01D", "G01F"]  # not the predicted G06F|G06Q
    assert "predicted" not in (doc["extra"] or "")
    assert cockpit.store.scalar("SELECT count(DISTINCT scheme) FROM classifications") == 1


def test_cpc_abstract_sets_train_and_val(cockpit: Cockpit, shared: Path) -> None:
    train, val = cockpit.ingest([shared / CPC_TRAIN, shared / CPC_VAL])
    assert train.format == val.format == "cn-cpc-abstracts"
    assert (train.read, val.read) == (4102, 492)  # MANIFEST: 4,594; the rest are blank ",,," rows
    assert cockpit.store.count("documents") == 4594
    codes = cockpit.store.query("SELECT code FROM classifications WHERE doc_id = 'CN117151122A' ORDER BY seq")
    assert [c["code"] for c in codes] == ["G06F 16/3329", "G06F 16/35", "G06F 40/247", "G06F 40/253",
                                          "G06F 40/284", "G06F 40/35"]
    texts = {t["kind"]: t for t in cockpit.store.query("SELECT * FROM texts WHERE doc_id = 'CN117151122A'")}
    assert texts["title"]["text"] == "一种基于自然语言处理的银行客服会话问答处理方法及系统"
    assert texts["keywords"]["text"] == "data; word; question; text; answer" and texts["keywords"]["lang"] == "en"
    assert texts["abstract"]["text"].startswith("本发明涉及人工智能技术领域")
    sep = cockpit.store.query("SELECT text FROM texts WHERE doc_id = 'CN118614051A' AND kind = 'title'")
    assert sep[0]["text"] == "提供对数字资产的安全访问的系统和方法"  # the "[SEP]" layout
    labels = json.loads((shared / "cn/abstracts_cpc_liaoleyuan/selected_labels.json").read_text(encoding="utf-8"))
    assert len(labels) == 500
    assert cockpit.store.scalar("SELECT count(*) FROM documents WHERE extra LIKE '%labels_outside_selected%'") == 0


@pytest.mark.parametrize(("text", "codes"), [
    ("B64U20/80;B64U101/30", ["B64U 20/80", "B64U 101/30"]),
    ("H04N 5/225, G06F 16/00 (2006.01)", ["H04N 5/225", "G06F 16/00"]),
    ("A01M|G06F|H02G", ["A01M", "G06F", "H02G"]),
    ("G06F2119/14", ["G06F 2119/14"]),
])
def test_class_codes(text: str, codes: list[str]) -> None:
    assert class_codes(text) == codes


def test_split_multi() -> None:
    assert split_multi("刘迪;刘敏；王煜伟") == ["刘迪", "刘敏", "王煜伟"]
    assert split_multi("李玺、康锐文，冯凯") == ["李玺", "康锐文", "冯凯"]
    assert split_multi("Samsung Electronics Co., Ltd.; Apple Inc.") == ["Samsung Electronics Co., Ltd.", "Apple Inc."]
    assert split_multi("Sony Corporation, Tokyo") == ["Sony Corporation, Tokyo"]
