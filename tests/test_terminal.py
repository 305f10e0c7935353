"""The terminal as a user meets it: 80 columns and pipes keep every amount and 统一社会信用代码
whole on one line; progress goes to a terminal's stderr only, and never changes the results."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.text import Text
from typer.testing import CliRunner

from huiqi.cli import app
from huiqi.cli.tables import NARROWEST, wrap

EXAMPLES = Path(__file__).parents[1] / "examples"
REFORM = EXAMPLES / "reforms" / "rate-60.yaml"
CHAIN_LEADER = "91110112MA01E00015"
YEAR = 2025
runner = CliRunner()


# up to 9,999,999,999.99 (16 cells, NARROWEST): more than the 5,000,000,000 guidance fund
AMOUNTS = st.builds(lambda yuan, fen: f"{yuan:,}.{fen:02d}", st.integers(0, 10**10 - 1),
                    st.integers(0, 99))
WORDS = st.text(alphabet="年度区域贡献研发投入不超过称号（）《》，。：、元 ", min_size=1, max_size=12)


@given(st.lists(st.tuples(WORDS, AMOUNTS), min_size=1, max_size=8), st.integers(NARROWEST, 60))
def test_wrapping_keeps_every_amount_whole_and_every_line_within_the_width(
        parts: list[tuple[str, str]], width: int) -> None:
    text = "".join(word + amount for word, amount in parts)
    lines = wrap(Text(text), width).plain.split("\n")
    assert all(cell_len(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # only spaces dropped, at breaks
    for _, amount in parts:
        assert any(amount in line for line in lines), amount


def _run(*args: str, columns: int = 80) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": str(columns)})
    return result.exit_code, result.stdout, result.stderr


def _whole(value: str, out: str) -> bool:
    """``value`` stands on one line, not part of a longer number."""
    pattern = re.compile(rf"(?<![\d,.]){re.escape(value)}(?![\d,]|\.\d)")
    return any(pattern.search(line) for line in out.splitlines())


def _fits(out: str, columns: int) -> bool:
    return all(cell_len(line) <= columns for line in out.splitlines())


def _table(out: str) -> str:
    """The lines of the first table, to its bottom border (the explanations follow as prose)."""
    lines = out.splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith("└"))
    return "\n".join(lines[:end + 1])


def _wan(yuan: Decimal) -> str:
    return f"{(yuan / 10000).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


@pytest.fixture(scope="module")
def pop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pop") / "district"
    result = runner.invoke(app, ["synth", "--out", str(path), "--enterprises", "1500",
                                 "--year", str(YEAR), "--seed", "7"])
    assert result.exit_code == 0, result.output
    return path


# chain-leader.yaml, worked by hand: m01.new 70% × 12,000,000 = 8,400,000; m07.rd
# min(3,000,000, 10% × 25,000,000) = 2,500,000; m10 小巨人 3,000,000; total 13,900,000.
CALC_AMOUNTS = ("8,400,000.00", "2,500,000.00", "3,000,000.00", "13,900,000.00", "12,000,000.00",
                "25,000,000.00")


@pytest.mark.parametrize("columns", [80, 60, 40])
def test_calc_keeps_every_amount_and_code_whole_at_any_width(columns: int) -> None:
    code, out, _ = _run("calc", str(EXAMPLES / "chain-leader.yaml"), columns=columns)
    assert code == 0
    for amount in CALC_AMOUNTS:
        assert _whole(amount, out), amount
    # the beneficiary on every result (23 measures), never split
    assert sum(CHAIN_LEADER in line for line in out.splitlines()) >= 23
    assert not re.search(r"(?<![0-9A-Z])9111011\w{0,10}$", out, re.MULTILINE)


def test_at_80_columns_calc_is_a_table_whose_lines_fit() -> None:
    _, out, _ = _run("calc", str(EXAMPLES / "chain-leader.yaml"))
    table = _table(out)
    assert "┏" in table and _fits(table, 80)
    row = next(line for line in table.splitlines() if "8,400,000.00" in line)
    assert CHAIN_LEADER in row


def test_narrower_than_the_table_calc_prints_one_block_per_result() -> None:
    _, out, _ = _run("calc", str(EXAMPLES / "chain-leader.yaml"), columns=40)
    assert "┏" not in out
    assert f"申请人 beneficiary: {CHAIN_LEADER}" in out.splitlines()
    assert "上限 ceiling 元 / 万元: 8,400,000.00" in out.splitlines()


def test_piped_output_has_no_colour_and_is_not_folded_to_a_nearby_terminal() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "FORCE_COLOR"}}
    done = subprocess.run([sys.executable, "-m", "huiqi", "calc", str(EXAMPLES / "chain-leader.yaml")],
                          capture_output=True, text=True, env=env, check=True, timeout=120)
    assert "\x1b" not in done.stdout
    assert max(cell_len(line) for line in done.stdout.splitlines()) > 80  # laid out for 120
    assert _fits(_table(done.stdout), 120)
    for amount in CALC_AMOUNTS:
        assert _whole(amount, done.stdout), amount


def _measure_totals(results: Path) -> dict[str, Decimal]:
    rows = duckdb.sql(f"SELECT measure, sum(ceiling) FROM read_parquet('{results}') "
                      "WHERE status = 'eligible' GROUP BY measure").fetchall()
    return {m: Decimal(t) for m, t in rows if t}


@pytest.mark.parametrize("columns", [80, 50])
def test_match_summary_keeps_each_measures_total_whole(pop: Path, tmp_path: Path,
                                                       columns: int) -> None:
    results = tmp_path / "r.parquet"
    code, out, err = _run("match", str(pop), "--out", str(results), columns=columns)
    assert code == 0, err
    totals = _measure_totals(results)
    assert len(totals) > 10
    for measure, total in totals.items():
        assert _whole(_wan(total), out), (measure, _wan(total))
    assert _whole(_wan(sum(totals.values(), Decimal(0))), out)
    assert _fits(out, columns) if columns == 80 else "┏" not in out


def test_simulate_keeps_baseline_and_reform_totals_whole_at_80_columns(pop: Path,
                                                                        tmp_path: Path) -> None:
    code, out, err = _run("simulate", str(pop), "--reform", str(REFORM), "--out",
                          str(tmp_path / "sim"), "--no-charts")
    assert code == 0, err
    # a measure the reform leaves unchanged is written once, as scenario 'both'
    rows = duckdb.sql(f"""
        SELECT s.scenario, measure, coalesce(sum(ceiling), 0)
        FROM read_parquet('{tmp_path / 'sim' / 'scenarios.parquet'}') AS r
        JOIN (VALUES ('baseline'), ('reform')) AS s(scenario)
          ON r.scenario IN (s.scenario, 'both')
        WHERE status = 'eligible' GROUP BY ALL""").fetchall()
    assert {s for s, _, _ in rows} == {"baseline", "reform"}
    for scenario, measure, total in rows:
        label = "基线 万元" if scenario == "baseline" else "改革 万元"
        assert _whole(_wan(Decimal(total)), out), (scenario, measure)
        assert f"{label}: {_wan(Decimal(total))}" in out.splitlines() or "┏" in out
    table_lines = [line for line in out.splitlines() if line[:1] in set("┏┃┡│└")]
    assert table_lines and _fits("\n".join(table_lines), 80)


def _matched(path: Path) -> list[tuple[object, ...]]:
    return duckdb.sql(f"SELECT * FROM read_parquet('{path}') ORDER BY ALL").fetchall()


def test_without_a_terminal_no_progress_is_drawn_and_quiet_changes_nothing(pop: Path,
                                                                          tmp_path: Path) -> None:
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    code_a, out_a, err_a = _run("match", str(pop), "--out", str(a))
    code_b, out_b, err_b = _run("match", str(pop), "--out", str(b), "--quiet")
    assert code_a == code_b == 0
    assert err_a == err_b == ""
    assert not re.search("[\x1b\r]", out_a)  # no cursor or colour codes

    def timeless(out: str, path: Path) -> str:
        return re.sub(r"\(\d+\.\d s\)", "", out.replace(str(path), "FILE"))

    assert timeless(out_a, a) == timeless(out_b, b)
    assert _matched(a) == _matched(b)


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal")
def test_on_a_terminal_the_stages_show_on_stderr_and_stdout_stays_plain(pop: Path,
                                                                        tmp_path: Path) -> None:
    import pty

    leader, follower = pty.openpty()
    seen = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    with_bar = tmp_path / "tty.parquet"
    done = subprocess.run([sys.executable, "-m", "huiqi", "match", str(pop), "--out", str(with_bar)],
                          stdout=subprocess.PIPE, stderr=follower, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "100"}, check=True)
    os.close(follower)
    reader.join(timeout=10)
    os.close(leader)
    stderr = seen.decode("utf-8", "replace")
    assert "matching 匹配" in stderr or "opening 打开群体" in stderr
    assert "\x1b" not in done.stdout
    quiet = tmp_path / "quiet.parquet"
    assert runner.invoke(app, ["match", str(pop), "--out", str(quiet), "-q"]).exit_code == 0
    assert _matched(with_bar) == _matched(quiet)


@pytest.mark.parametrize(("reform", "message"), [
    ("m01.rate: '1.5'\n", "parameter m01.rate: a rate above 100% (got '1.5')"),
    ("m01.rate: 120%\n", "parameter m01.rate: a rate above 100%"),
    ("m07.rd.cap: '-5'\n", "parameter m07.rd.cap: must not be negative"),
    ("m03.amount: '-1.00'\n", "parameter m03.amount: must not be negative"),
])
def test_simulate_refuses_an_impossible_reform_naming_the_file_and_parameter(
        pop: Path, tmp_path: Path, reform: str, message: str) -> None:
    path = tmp_path / "reform.yaml"
    path.write_text(reform, encoding="utf-8")
    out = tmp_path / "sim"
    code, stdout, err = _run("simulate", str(pop), "--reform", str(path), "--out", str(out))
    assert code == 2 and "Traceback" not in stdout + err
    assert f"reform file {path}: {message}" in " ".join(err.split())
    assert not out.exists()  # refused before anything is written


def test_a_multiple_may_exceed_one_in_a_simulated_reform(pop: Path, tmp_path: Path) -> None:
    # 返投 2 倍 is a multiple of the fund's investment, not a share: 3 times is a reform
    path = tmp_path / "reform.yaml"
    path.write_text("m23.ratio: '3'\n", encoding="utf-8")
    code, _, err = _run("simulate", str(pop), "--reform", str(path), "--out",
                        str(tmp_path / "sim"), "--no-charts")
    assert code == 0, err


def test_match_refuses_a_negative_amount_set_on_the_command_line(pop: Path, tmp_path: Path) -> None:
    code, _, err = _run("match", str(pop), "--set", "m03.amount=-1", "--out",
                        str(tmp_path / "r.parquet"))
    assert code == 2
    assert "--set: parameter m03.amount: must not be negative" in " ".join(err.split())


@pytest.mark.parametrize(("fact", "field"), [
    ("listed_on: 2024-02-30", "beneficiaries[0].listed_on"),
    ("titles: [{kind: little_giant, level: national, date: 2024-13-01}]",
     "beneficiaries[0].titles[0].date"),
])
def test_an_impossible_date_names_the_file_and_the_field_without_a_traceback(
        tmp_path: Path, fact: str, field: str) -> None:
    case = tmp_path / "case.yaml"
    case.write_text("year: 2024\nbeneficiaries:\n  - {id: 91110112MA01E00015, kind: enterprise, "
                    f"{fact}}}\n", encoding="utf-8")
    code, out, err = _run("calc", str(case))
    assert code == 2 and "Traceback" not in out + err
    flat = " ".join(err.split())
    assert str(case) in flat and field in flat
