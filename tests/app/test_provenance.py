"""Which typed facts the engine may use: the registry vouches for recognitions, flags and kind."""

from __future__ import annotations

from huiqi.app.applications import provenance

LEADER = "91110112MA01E00015"
OTHER = "91110112MA01M00001"


def registered(**extra: object) -> dict[str, object]:
    return {"id": LEADER, "kind": "enterprise", "name": "通州智造科技有限公司", "one_matter": False,
            "key_enterprise": False, "fits_industry_positioning": False, **extra}


def test_a_typed_kind_does_not_make_an_enterprise_an_operator() -> None:
    v = provenance.organisation({"id": LEADER, "kind": "park_operator"}, registered())
    assert v.beneficiary["kind"] == "enterprise"
    assert [(c["field"], c["claimed"], c["registry"]) for c in v.claims] == [
        ("kind", "park_operator", "enterprise")]


def test_a_typed_key_enterprise_flag_is_a_claim_until_the_registry_sets_it() -> None:
    v = provenance.organisation(registered(key_enterprise=True), registered())
    assert v.beneficiary["key_enterprise"] is False
    assert v.claims[0]["field"] == "key_enterprise" and v.claims[0]["status"] == "awaiting_registry"


def test_a_typed_size_class_is_never_used_figures_the_registry_lacks_are_marked() -> None:
    typed = registered(size={"class": "small", "employees": 40})
    v = provenance.organisation(typed, registered(size={"industry": "3911"}))
    assert v.beneficiary["size"] == {"employees": 40, "industry": "3911"}
    assert v.sources["size.employees"] == "applicant" and v.sources["size.industry"] == "registry"
    assert [c["field"] for c in v.claims] == ["size.class"]


def test_an_unregistered_beneficiary_cannot_be_introduced_by_the_applicant() -> None:
    typed = {"id": OTHER, "kind": "enterprise", "regional_contribution": {"2024": "90000000.00"},
             "introduced_by": {"introducer": LEADER, "kind": "chain_leader",
                               "recognised_on": "2024-04-01"}}
    v = provenance.organisation(typed, None)
    assert "introduced_by" not in v.beneficiary
    assert v.sources["regional_contribution"] == "applicant"
    assert [(c["field"], c["status"]) for c in v.claims] == [("introduced_by", "awaiting_registry")]


def test_a_talents_selection_is_the_registrys_and_the_purchase_date_theirs() -> None:
    typed = {"id": "P1", "kind": "person",
             "talent": {"selected_on": "2023-01-01", "tier": "A", "home_purchased_on": "2024-08-15"}}
    v = provenance.person(typed, None)  # not selected in the registry
    assert v.beneficiary["talent"] == {"home_purchased_on": "2024-08-15"}
    assert sorted(c["field"] for c in v.claims) == ["talent.selected_on", "talent.tier"]
    known = {"id": "P1", "kind": "person", "talent": {"selected_on": "2024-04-01", "tier": "A"}}
    v = provenance.person(typed, known)
    assert v.beneficiary["talent"] == {"home_purchased_on": "2024-08-15", "selected_on": "2024-04-01",
                                       "tier": "A"}
    assert [(c["field"], c["registry"]) for c in v.claims] == [("talent.selected_on", "2024-04-01")]


def test_a_claim_the_registry_comes_to_hold_is_confirmed() -> None:
    claim = {"beneficiary": LEADER, "field": "chain_leader", "status": "awaiting_registry",
             "claimed": {"status": "new", "since": "2024-06-01"}, "registry": None,
             "source": "applicant"}
    now = registered(chain_leader={"status": "new", "since": "2024-06-01"})
    assert provenance.refresh([claim], {LEADER: now})[0]["status"] == "confirmed"
    assert provenance.refresh([claim], {LEADER: registered()})[0]["status"] == "awaiting_registry"


def test_a_typed_zero_is_a_figure_not_a_default() -> None:
    typed = registered(size={"employees": 0})
    v = provenance.organisation(typed, registered(size={"employees": 12}))
    assert v.beneficiary["size"] == {"employees": 12}
    assert [(c["field"], c["claimed"], c["registry"], c["status"]) for c in v.claims] == [
        ("size.employees", 0, 12, "registry_differs")]
