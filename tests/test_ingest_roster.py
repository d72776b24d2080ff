import pytest

from qc_pipeline.config import Config, load_config
from tests.conftest_ingest import XIAOYA, AJIE, parse, reasons, rows, write, xlsx_bytes


@pytest.mark.parametrize(
    "header", ["agent,name,team,role", "客服账号,姓名,组,角色", "子账号,名字,小组,岗位", "子账号, 名字 ,团队,岗位"]
)
def test_header_aliases(tmp_path, header):
    parsed = parse(write(tmp_path, "roster.csv", f"{header}\n{XIAOYA},小雅,一组,售前\n"))
    assert (parsed.kind, parsed.format) == ("roster", "roster-csv")
    assert rows(parsed, "agent", "name", "team", "role") == [(XIAOYA, "小雅", "一组", "presale")]


def test_role_aliases_default_and_bad_role(tmp_path):
    content = "\n".join([
        "agent,name,team,role",
        f"{XIAOYA},小雅,一组,售前",
        f"{AJIE},阿杰,二组,售后",
        "星河服饰旗舰店:老王,老王,,主管",
        "星河服饰旗舰店:小李,小李,一组,组长",
        "星河服饰旗舰店:小张,小张,一组,Aftersale",
        "星河服饰旗舰店:新人,新人,一组,",
        "星河服饰旗舰店:老板,老板,,boss",
        ",无名,一组,售前",
    ]) + "\n"
    parsed = parse(write(tmp_path, "roster.csv", content))
    assert rows(parsed, "name", "team", "role") == [
        ("小雅", "一组", "presale"), ("阿杰", "二组", "aftersale"), ("老王", None, "supervisor"),
        ("小李", "一组", "supervisor"), ("小张", "一组", "aftersale"), ("新人", "一组", "presale"),
    ]
    assert reasons(parsed) == ["unknown role 'boss'", "empty agent"]


def test_missing_role_takes_the_configured_default(tmp_path):
    raw = load_config().raw
    config = Config(dict(raw, roster=dict(raw["roster"], default_role="aftersale")))
    parsed = parse(write(tmp_path, "roster.csv", f"agent,name\n{XIAOYA},小雅\n"), config)
    assert rows(parsed, "role") == [("aftersale",)]


def test_roster_xlsx(tmp_path):
    book = xlsx_bytes({"客服": [["客服账号", "姓名", "组", "岗位"], [XIAOYA, "小雅", "一组", "售前"]]})
    parsed = parse(write(tmp_path, "roster.xlsx", book))
    assert (parsed.kind, parsed.format) == ("roster", "roster-xlsx") and len(parsed.roster) == 1
