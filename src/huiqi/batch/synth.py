"""A realistic synthetic population of a district, deterministic for a seed.

Distributions (per enterprise unless stated; money in fen):
- size: industry drawn from a weighted list of GB/T 4754 codes (manufacturing, software,
  wholesale/retail, leasing & business services, construction …); employees log-normal
  (median ≈ 12, long tail into the thousands); revenue ≈ employees × log-normal revenue per head
  (median ≈ 400k yuan); assets ≈ 1.2 × revenue with noise. 10 % have a class recorded by the office.
- regional contribution (RC): log-normal, median ≈ 150k yuan, σ = 2 (heavy tail: the top 0.1 %
  reach hundreds of millions); growth year on year log-normal around +5 % (σ ≈ 0.35); 3 % have no
  RC for the year, 6 % none for the year before.
- chain leaders: 0.2 % of enterprises, picked among the top RC decile; 20 % of them new in the
  year. 一事一议: 0.1 %.
- introductions: 30 % of enterprises were introduced — by park operators (55 %), building
  operators (20 %), funds (10 %), attraction platforms (10 %) and chain leaders (5 %); introducers
  are chosen with Zipf-like weights, so group sizes range from one to hundreds. Funds' members
  were introduced within the last three years.
- R&D: 20 % invest (log-normal, median ≈ 800k yuan), most others report none, 3 % are
  unknown. Listing: 0.05 % list in the year.
- titles: 4 % hold one (mostly 专精特新 and 数字化车间; platform recognitions at national or
  municipal level); projects: 3 % (green, scenario, renovation with fixed-asset investment,
  consortium, incubation and common-technology platforms); dates spread over the year and the
  three before.
- loans: 15 % of enterprises borrow from one of the banks; 30 % of loans are first loans, 35 %
  guaranteed, 40 % credit loans, 5 % green; 2 % of credit and green loans lose principal in the year.
- history: 15 % of items dated before the year were already supported once.
- other organisations, per 1,000 enterprises: 2 park operators, 1 building operator, 0.5 funds,
  0.4 attraction platforms, 0.5 banks (at least 3), 2 service institutions, 1 fund manager;
  and 50 talents (persons).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

import numpy as np
import pyarrow as pa

from huiqi.batch.ids import uscc_codes
from huiqi.facts.tables import SCHEMAS

FEN = 100
INDUSTRIES = {  # GB/T 4754-2017 code → weight
    "3911": 8, "3489": 6, "2710": 3, "3670": 4, "1310": 2, "4011": 2, "6513": 14, "6420": 5,
    "5191": 9, "5261": 7, "7212": 10, "7519": 6, "4710": 4, "5810": 3, "6110": 2, "6210": 4,
    "7010": 1, "7020": 2, "7320": 5, "8710": 3,
}
OTHERS = {  # kind → per 1,000 enterprises
    "park_operator": 2.0, "building_operator": 1.0, "fund": 0.5, "attraction_platform": 0.4,
    "bank": 0.5, "service_institution": 2.0, "fund_manager": 1.0,
}
TITLES = [  # kind, level, weight
    ("specialised_sme_beijing", "municipal", 40), ("little_giant", "national", 8),
    ("single_champion_enterprise", "national", 1), ("single_champion_product", "national", 1),
    ("digital_workshop", "municipal", 15), ("smart_factory", "municipal", 8),
    ("smart_manufacturing_benchmark", "national", 2), ("lighthouse_factory", "world", 0.3),
    ("enterprise_tech_center", "municipal", 10), ("enterprise_tech_center", "national", 2),
    ("key_laboratory", "municipal", 4), ("key_laboratory", "national", 1),
    ("engineering_research_center", "municipal", 3), ("tech_innovation_center", "municipal", 3),
    ("industry_innovation_center", "national", 0.7),
]
PROJECTS = {
    "green_factory": 12, "green_supply_chain": 3, "green_retrofit": 10, "distributed_pv": 14,
    "carbon_neutral": 4, "co2_reduction": 3, "scenario": 10, "renovation": 15, "consortium": 5,
    "incubation_platform": 2, "common_tech_platform": 2,
}


def _pick(rng: np.random.Generator, weights: Mapping[str, float], n: int) -> np.ndarray:
    keys = np.array(list(weights))
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _lognormal_fen(rng: np.random.Generator, median_yuan: float, sigma: float, n: int) -> np.ndarray:
    return (rng.lognormal(np.log(median_yuan), sigma, n) * FEN).round().astype(np.int64)


def _dates(rng: np.random.Generator, first: date, last: date, n: int) -> np.ndarray:
    span = (last - first).days + 1
    return np.datetime64(first, "D") + rng.integers(0, span, n).astype("timedelta64[D]")


def _masked(values: np.ndarray, keep: np.ndarray, typ: pa.DataType) -> pa.Array:
    return pa.array(values, typ, mask=~keep)


def _zipf_choice(rng: np.random.Generator, candidates: np.ndarray, n: int) -> np.ndarray:
    """Pick introducers with Zipf-like weights, so some groups are large and most small."""
    w = 1.0 / np.arange(1, len(candidates) + 1) ** 0.8
    return candidates[rng.choice(len(candidates), size=n, p=w / w.sum())]


def generate(enterprises: int = 50_000, year: int = 2025, seed: int = 1) -> dict[str, pa.Table]:
    """The five fact tables (``facts.tables.SCHEMAS``) of a synthetic district for ``year``."""
    rng = np.random.default_rng(seed)
    y0, y1 = date(year, 1, 1), date(year, 12, 31)
    n = enterprises
    counts = {k: max(3 if k == "bank" else 1, round(n * v / 1000)) for k, v in OTHERS.items()}
    kinds = np.concatenate([np.full(n, "enterprise")] + [np.full(c, k) for k, c in counts.items()])
    m = len(kinds)
    ids = uscc_codes(np.arange(m) * 7 + 1000).to_numpy(zero_copy_only=False)
    ent = kinds == "enterprise"
    by_kind: Callable[[str], np.ndarray] = lambda k: ids[kinds == k]  # noqa: E731

    industry = _pick(rng, INDUSTRIES, m)
    employees = np.maximum(1, rng.lognormal(np.log(12), 1.4, m)).astype(np.int64)
    revenue = (employees * rng.lognormal(np.log(400_000), 0.9, m) * FEN).astype(np.int64)
    assets = (revenue * rng.lognormal(np.log(1.2), 0.5, m)).astype(np.int64)
    recorded = rng.random(m) < 0.10
    size_class = rng.choice(np.array(["large", "medium", "small", "micro"]), m,
                            p=[0.02, 0.08, 0.3, 0.6])
    rc = _lognormal_fen(rng, 150_000, 2.0, m)
    rc_prev = (rc / rng.lognormal(0.05, 0.35, m)).astype(np.int64)
    rc_prev2 = (rc_prev / rng.lognormal(0.05, 0.35, m)).astype(np.int64)
    has_rc, has_prev, has_prev2 = (rng.random(m) > p for p in (0.03, 0.06, 0.08))

    # chain leaders among the top RC decile
    top = ent & (rc >= np.quantile(rc[ent], 0.9))
    leader = top & (rng.random(m) < 0.02)
    leader_new = leader & (rng.random(m) < 0.2)
    leader_since = np.where(leader_new, _dates(rng, y0, y1, m), _dates(rng, date(2015, 1, 1),
                                                                       date(year - 1, 12, 31), m))

    # introductions
    introduced = ent & ~leader & (rng.random(m) < 0.30)
    intro_kind = _pick(rng, {"park_operator": 55, "building_operator": 20, "fund": 10,
                             "attraction_platform": 10, "chain_leader": 5}, m)
    introducer = np.empty(m, dtype=object)
    for k in ("park_operator", "building_operator", "fund", "attraction_platform"):
        sel = introduced & (intro_kind == k)
        introducer[sel] = _zipf_choice(rng, by_kind(k), int(sel.sum()))
    sel = introduced & (intro_kind == "chain_leader")
    leaders = ids[leader]
    if len(leaders):
        introducer[sel] = _zipf_choice(rng, leaders, int(sel.sum()))
    else:
        introduced &= ~sel
    recent = intro_kind == "fund"
    intro_on = np.where(recent, _dates(rng, date(year - 2, 1, 1), y1, m),
                        _dates(rng, date(2018, 1, 1), y1, m))
    intro_year = intro_on.astype("datetime64[Y]").astype(int) + 1970
    # RC accumulated since introduction, over the years the population carries (Y-2 … Y)
    acc = np.where(intro_year <= year - 2, rc_prev2, 0) + np.where(intro_year <= year - 1, rc_prev, 0) + rc
    acc_known = (intro_year >= year - 2) & has_rc & (has_prev | (intro_year > year - 1)) & (
        has_prev2 | (intro_year > year - 2))

    rd = ent & (rng.random(m) < 0.20)
    listed = ent & (rng.random(m) < 0.0015)
    listed_on = _dates(rng, date(year - 2, 1, 1), y1, m)
    is_kind = {k: kinds == k for k in OTHERS}
    inst_field = rng.choice(np.array(["legal", "accounting", "human_resources", "technology"]), m)
    settled_on = _dates(rng, date(year - 3, 1, 1), y1, m)
    has_subfund = is_kind["fund"] & (rng.random(m) < 0.5)
    contribution = _lognormal_fen(rng, 50_000_000, 0.7, m)
    investment = (contribution * rng.lognormal(np.log(2.0), 0.4, m)).astype(np.int64)

    b = pa.bool_()
    subjects = pa.table({
        "id": pa.array(ids, pa.string()),
        "kind": pa.array(kinds.astype(object), pa.string()),
        "one_matter": pa.array(ent & (rng.random(m) < 0.001), b),
        "size_class": _masked(size_class.astype(object), ent & recorded, pa.string()),
        "industry": _masked(industry.astype(object), ent, pa.string()),
        "employees": _masked(employees, ent, pa.int64()),
        "revenue_fen": _masked(revenue, ent, pa.int64()),
        "assets_fen": _masked(assets, ent, pa.int64()),
        "rc_fen": _masked(rc, ent & has_rc, pa.int64()),
        "rc_prev_fen": _masked(rc_prev, ent & has_prev, pa.int64()),
        "rc_prev2_fen": _masked(rc_prev2, ent & has_prev2, pa.int64()),
        "chain_leader": _masked(np.where(leader_new, "new", "existing").astype(object), leader,
                                pa.string()),
        "chain_leader_since": _masked(leader_since, leader, pa.date32()),
        "introducer": _masked(introducer, introduced, pa.string()),
        "introducer_kind": _masked(intro_kind.astype(object), introduced, pa.string()),
        "introduced_on": _masked(intro_on, introduced, pa.date32()),
        "rc_since_intro_fen": _masked(acc, introduced & acc_known, pa.int64()),
        "rd_fen": _masked(np.where(rd, _lognormal_fen(rng, 800_000, 1.5, m), 0),
                          ent & (rd | (rng.random(m) > 0.03)), pa.int64()),
        "listed_on": _masked(listed_on, listed, pa.date32()),
        "key_enterprise": pa.array(ent & (rng.random(m) < 0.02), b),
        "fits_positioning": pa.array(ent & (rng.random(m) < 0.6), b),
        "platform_signed": pa.array(is_kind["attraction_platform"] & (rng.random(m) < 0.7), b),
        "inst_field": _masked(inst_field.astype(object), is_kind["service_institution"], pa.string()),
        "inst_renowned": _masked(rng.random(m) < 0.3, is_kind["service_institution"], b),
        "inst_settled_on": _masked(settled_on, is_kind["service_institution"], pa.date32()),
        "subfund_contribution_fen": _masked(contribution, has_subfund, pa.int64()),
        "subfund_investment_fen": _masked(investment, has_subfund, pa.int64()),
        "subfund_excess_fen": _masked(_lognormal_fen(rng, 3_000_000, 1.0, m), has_subfund,
                                      pa.int64()),
        "fm_investment_fen": _masked(_lognormal_fen(rng, 300_000_000, 1.0, m),
                                     is_kind["fund_manager"], pa.int64()),
        "fm_exit_prev_fen": _masked(_lognormal_fen(rng, 20_000_000, 1.5, m),
                                    is_kind["fund_manager"], pa.int64()),
        "talent_selected_on": pa.nulls(m, pa.date32()),
        "talent_tier": pa.nulls(m, pa.string()),
        "home_purchased_on": pa.nulls(m, pa.date32()),
    })
    subjects = pa.concat_tables([subjects, _talents(rng, n, year)]).cast(SCHEMAS["subjects"])
    eids = ids[ent]
    history: list[pa.Table] = []
    titles = _titles(rng, eids, year, history)
    projects = _projects(rng, eids, year, history)
    loans = _loans(rng, eids, by_kind("bank"), year, history)
    return {
        "subjects": subjects,
        "titles": titles,
        "projects": projects,
        "loans": loans,
        "history": _completed(pa.concat_tables(history), SCHEMAS["history"]),
    }


def _talents(rng: np.random.Generator, enterprises: int, year: int) -> pa.Table:
    k = max(1, enterprises // 20)
    selected = rng.random(k) < 0.6
    bought = selected & (rng.random(k) < 0.2)
    schema = SCHEMAS["subjects"]
    cols: dict[str, pa.Array] = {f.name: pa.nulls(k, f.type) for f in schema}
    cols["id"] = pa.array([f"T{i:08d}" for i in range(k)], pa.string())
    cols["kind"] = pa.array(["person"] * k, pa.string())
    cols["one_matter"] = pa.array(np.zeros(k, bool))
    for name in ("key_enterprise", "fits_positioning", "platform_signed"):
        cols[name] = pa.array(np.zeros(k, bool))
    cols["talent_selected_on"] = _masked(_dates(rng, date(year - 2, 1, 1), date(year, 12, 31), k),
                                         selected, pa.date32())
    cols["home_purchased_on"] = _masked(_dates(rng, date(year - 1, 1, 1), date(year, 12, 31), k),
                                        bought, pa.date32())
    return pa.table(cols, schema=schema)


def _earlier_awards(rng: np.random.Generator, subjects: np.ndarray, items: np.ndarray,
                    measures: np.ndarray, dates: np.ndarray, year: int) -> pa.Table:
    """15 % of items dated before the year were already supported, in their own year."""
    item_year = dates.astype("datetime64[Y]").astype(int) + 1970
    awarded = (item_year < year) & (item_year >= 2024) & (rng.random(len(items)) < 0.15)
    return pa.table({
        "subject": pa.array(subjects[awarded].astype(object), pa.string()),
        "measure": pa.array(measures[awarded].astype(object), pa.string()),
        "year": pa.array(item_year[awarded].astype(np.int64)),
        "item": pa.array(items[awarded].astype(object), pa.string()),
    })


def _completed(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """The table with the schema's columns it lacks added as NULLs (e.g. amounts not drawn)."""
    for f in schema:
        if f.name not in table.column_names:
            table = table.append_column(f, pa.nulls(table.num_rows, f.type))
    return table.select(schema.names).cast(schema)


def _titles(rng: np.random.Generator, eids: np.ndarray, year: int, history: list[pa.Table]
            ) -> pa.Table:
    holders = eids[rng.random(len(eids)) < 0.04]
    k = len(holders)
    w = np.array([t[2] for t in TITLES], dtype=float)
    pick = rng.choice(len(TITLES), size=k, p=w / w.sum())
    kind = np.array([TITLES[i][0] for i in pick])
    level = np.array([TITLES[i][1] for i in pick])
    when = _dates(rng, date(year - 3, 1, 1), date(year, 12, 31), k)
    digital = np.isin(kind, ["digital_workshop", "smart_factory", "lighthouse_factory",
                             "smart_manufacturing_benchmark"])
    platform = np.isin(kind, ["enterprise_tech_center", "key_laboratory",
                              "engineering_research_center", "tech_innovation_center",
                              "industry_innovation_center"])
    measure = np.where(digital, "m08", np.where(platform, "m09", "m10"))
    item = np.where(platform, np.char.add(np.char.add(kind.astype(str), ":"), level), kind)
    history.append(_earlier_awards(rng, holders, item, measure, when, year))
    return pa.table({
        "subject": pa.array(holders.astype(object), pa.string()),
        "kind": pa.array(kind.astype(object), pa.string()),
        "level": pa.array(level.astype(object), pa.string()),
        "date": pa.array(when, pa.date32()),
        "relocated": pa.array(rng.random(k) < 0.1),
    }, schema=SCHEMAS["titles"])


PROJECT_MEASURE = {
    "incubation_platform": "m03", "common_tech_platform": "m04", "consortium": "m07.consortium",
    "scenario": "m14", "renovation": "m17",
}


def _projects(rng: np.random.Generator, eids: np.ndarray, year: int, history: list[pa.Table]
              ) -> pa.Table:
    owners = eids[rng.random(len(eids)) < 0.03]
    k = len(owners)
    kind = _pick(rng, PROJECTS, k)
    when = _dates(rng, date(year - 3, 1, 1), date(year, 12, 31), k)
    pid = np.char.add("P", np.arange(k).astype(str))
    renovation = kind == "renovation"
    measure = np.array([PROJECT_MEASURE.get(x, "m11") for x in kind])
    history.append(_earlier_awards(rng, owners, pid, measure, when, year))
    return pa.table({
        "id": pa.array(pid.astype(object), pa.string()),
        "subject": pa.array(owners.astype(object), pa.string()),
        "kind": pa.array(kind.astype(object), pa.string()),
        "date": pa.array(when, pa.date32()),
        "investment_fen": _masked(_lognormal_fen(rng, 8_000_000, 1.2, k),
                                  renovation & (rng.random(k) > 0.05), pa.int64()),
        "mode": _masked(rng.choice(np.array(["self", "joint", "leased"]), k).astype(object),
                        renovation, pa.string()),
        "results_recognised": pa.array((kind == "consortium") & (rng.random(k) < 0.6)),
    }, schema=SCHEMAS["projects"])


def _loans(rng: np.random.Generator, eids: np.ndarray, banks: np.ndarray, year: int,
           history: list[pa.Table]) -> pa.Table:
    borrowers = eids[rng.random(len(eids)) < 0.15]
    k = len(borrowers)
    principal = _lognormal_fen(rng, 2_000_000, 1.0, k)
    drawn = _dates(rng, date(year - 1, 1, 1), date(year, 12, 31), k)
    term = rng.integers(90, 3 * 365, k).astype("timedelta64[D]")
    repaid = drawn + term
    ends = repaid <= np.datetime64(date(year, 12, 31), "D")
    first = rng.random(k) < 0.30
    credit = rng.random(k) < 0.40
    green = rng.random(k) < 0.05
    loss = (credit | green) & (rng.random(k) < 0.02)
    days = np.clip((np.minimum(repaid, np.datetime64(date(year + 1, 1, 1), "D"))
                    - np.maximum(drawn, np.datetime64(date(year, 1, 1), "D"))).astype(int), 0, None)
    interest = (principal * 0.045 * days / 365).round().astype(np.int64)
    lid = np.char.add("L", np.arange(k).astype(str))
    prior = first & (rng.random(k) < 0.1)
    history.append(pa.table({
        "subject": pa.array(borrowers[prior].astype(object), pa.string()),
        "measure": pa.array(["m22.interest"] * int(prior.sum()), pa.string()),
        "year": pa.array(np.full(int(prior.sum()), year - 1, np.int64)),
        "item": pa.array(np.char.add("old-", lid[prior]).astype(object), pa.string()),
    }))
    return pa.table({
        "id": pa.array(lid.astype(object), pa.string()),
        "borrower": pa.array(borrowers.astype(object), pa.string()),
        "lender": pa.array(banks[rng.integers(0, len(banks), k)].astype(object), pa.string()),
        "borrower_size_class": pa.nulls(k, pa.string()),
        "principal_fen": pa.array(principal),
        "drawn_on": pa.array(drawn, pa.date32()),
        "repaid_on": _masked(repaid, ends, pa.date32()),
        "first_loan": pa.array(first),
        "guaranteed": pa.array(rng.random(k) < 0.35),
        "credit": pa.array(credit),
        "green": pa.array(green),
        "interest_paid_fen": _masked(interest, rng.random(k) > 0.03, pa.int64()),
        "guarantee_fee_paid_fen": pa.array((interest / 4).astype(np.int64)),
        "loss_fen": _masked((principal * rng.uniform(0.1, 0.9, k)).astype(np.int64), loss,
                            pa.int64()),
        "loss_on": _masked(_dates(rng, date(year, 1, 1), date(year, 12, 31), k), loss,
                           pa.date32()),
    }, schema=SCHEMAS["loans"])
