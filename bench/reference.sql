-- Hand-written DuckDB SQL for issue 9's subset — m01.new, m01.existing, m05, m07.rd, m17,
-- m22.interest, m22.guarantee (the 7 measures with computed ceilings most used) plus m02 — the
-- reference huiqi is measured against. Read independently from the notice
-- (/work/shared/policy/tongzhou-2024-8.zh.txt, MEASURES.md) with the parameters' default values
-- (parameters.yaml); same inputs (`subjects`, the derived `sizes`, `projects`, `loans`,
-- `history`), integer fen, half-up rounding. {year}, {start}, {end}, {days} are filled in.
-- Money: 70% of x fen, half-up = (x·7·2 + 10) // 20 (x ≥ 0).

-- （一） m01.new: 70% × RC(Y) for a chain leader new in Y (on or after 2024-02-26)
SELECT 'm01.new' AS measure, count(*) AS n, sum((rc_fen * 7 * 2 + 10) // 20) AS total_fen
FROM subjects
WHERE kind = 'enterprise' AND NOT one_matter AND chain_leader = 'new'
  AND chain_leader_since >= DATE '2024-02-26'
  AND chain_leader_since >= DATE '{start}' AND chain_leader_since < DATE '{end}'
  AND rc_fen IS NOT NULL
UNION ALL
-- （一） m01.existing: 70% × (RC(Y) − RC(Y−1)) when it grew
SELECT 'm01.existing', count(*), sum(((rc_fen - rc_prev_fen) * 7 * 2 + 10) // 20)
FROM subjects
WHERE kind = 'enterprise' AND NOT one_matter AND chain_leader_since < DATE '{end}'
  AND (chain_leader = 'existing' OR (chain_leader = 'new' AND chain_leader_since < DATE '{start}'))
  AND rc_fen > rc_prev_fen
UNION ALL
-- （十七） m17: min(10,000,000, 30% × fixed-asset investment), once per project, not supported
-- under another measure
SELECT 'm17', count(*), sum(least((p.investment_fen * 3 * 2 + 10) // 20, 1000000000))
FROM projects p JOIN subjects s ON s.id = p.subject
WHERE p.kind = 'renovation' AND s.kind IN ('enterprise', 'park_operator', 'building_operator',
  'fund', 'attraction_platform', 'bank', 'service_institution', 'fund_manager')
  AND NOT s.one_matter AND p.date >= DATE '2024-02-26'
  AND p.date >= DATE '{start}' AND p.date < DATE '{end}'
  AND p.mode IN ('self', 'joint', 'leased') AND p.investment_fen IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM history h WHERE h.subject = p.subject AND h.item = p.id
                  AND h.measure = 'm17' AND h.year < {year})
  AND NOT EXISTS (SELECT 1 FROM history h WHERE h.subject = p.subject AND h.item = p.id
                  AND h.measure <> 'm17')
UNION ALL
-- （二十二） m22.interest: 1% × principal × days outstanding ÷ days in the year, at most the
-- interest paid; an SME's first loan, drawn on or after 2024-02-26, only one loan ever
SELECT 'm22.interest', count(*), sum(least(
         (principal_fen * days * 2 + 100 * {days}) // (200 * {days}), interest_paid_fen))
FROM (
  SELECT l.*, greatest(date_diff('day', greatest(l.drawn_on, DATE '{start}'),
                       least(coalesce(l.repaid_on, DATE '{end}'), DATE '{end}')), 0) AS days
  FROM loans l JOIN subjects s ON s.id = l.borrower JOIN sizes z ON z.size_id = s.id
  WHERE s.kind = 'enterprise' AND NOT s.one_matter AND z.size IN ('medium', 'small', 'micro')
    AND l.first_loan AND l.drawn_on >= DATE '2024-02-26' AND l.interest_paid_fen IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM history h WHERE h.subject = l.borrower
                    AND h.measure = 'm22.interest' AND h.item <> l.id)
) WHERE days > 0
UNION ALL
-- （二十二） m22.guarantee: 1% × principal × days outstanding ÷ days in the year, at most the
-- guarantee fee paid; an SME's first loan with a guarantee, drawn on or after 2024-02-26
SELECT 'm22.guarantee', count(*), sum(least(
         (principal_fen * days * 2 + 100 * {days}) // (200 * {days}), guarantee_fee_paid_fen))
FROM (
  SELECT l.*, greatest(date_diff('day', greatest(l.drawn_on, DATE '{start}'),
                       least(coalesce(l.repaid_on, DATE '{end}'), DATE '{end}')), 0) AS days
  FROM loans l JOIN subjects s ON s.id = l.borrower JOIN sizes z ON z.size_id = s.id
  WHERE s.kind = 'enterprise' AND NOT s.one_matter AND z.size IN ('medium', 'small', 'micro')
    AND l.first_loan AND l.guaranteed AND l.drawn_on >= DATE '2024-02-26'
    AND l.guarantee_fee_paid_fen IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM history h WHERE h.subject = l.borrower
                    AND h.measure = 'm22.guarantee' AND h.item <> l.id)
) WHERE days > 0
UNION ALL
-- （二） m02: 70% × (Σ RC(Y) of the enterprises a recognised chain leader, building or park
-- operator introduced (recognised as introduced by the end of Y, none under 一事一议) − the set
-- standard 10,000,000 yuan), one combined ceiling per introducer; a member whose RC is unknown
-- leaves the sum unknown (not computed, never a smaller sum)
SELECT 'm02', count(*), sum(((group_rc - 1000000000) * 7 * 2 + 10) // 20)
FROM (
  SELECT i.id, sum(e.rc_fen) AS group_rc, count(*) - count(e.rc_fen) AS unknown
  FROM subjects e JOIN subjects i ON i.id = e.introducer
  WHERE e.introducer_kind IN ('chain_leader', 'building_operator', 'park_operator')
    AND e.introduced_on < DATE '{end}' AND NOT e.one_matter AND NOT i.one_matter
    AND (i.kind IN ('park_operator', 'building_operator')
         OR (i.kind = 'enterprise' AND i.chain_leader IS NOT NULL
             AND i.chain_leader_since < DATE '{end}'))
  GROUP BY i.id
) WHERE unknown = 0 AND group_rc > 1000000000
UNION ALL
-- （五） m05: an SME whose RC(Y) and growth in each of the last two years reach a tier
-- (placeholder tiers: ≥ 1,000,000 yuan and 20% → 300,000; ≥ 5,000,000 and 20% → 800,000;
-- ≥ 10,000,000 and 30% → 1,500,000); the highest tier reached
SELECT 'm05', count(*), sum(amount)
FROM (
  SELECT CASE
      WHEN s.rc_fen >= 1000000000 AND s.rc_fen * 10 >= s.rc_prev_fen * 13
           AND s.rc_prev_fen * 10 >= s.rc_prev2_fen * 13 THEN 150000000
      WHEN s.rc_fen >= 500000000 AND s.rc_fen * 10 >= s.rc_prev_fen * 12
           AND s.rc_prev_fen * 10 >= s.rc_prev2_fen * 12 THEN 80000000
      WHEN s.rc_fen >= 100000000 AND s.rc_fen * 10 >= s.rc_prev_fen * 12
           AND s.rc_prev_fen * 10 >= s.rc_prev2_fen * 12 THEN 30000000 END AS amount
  FROM subjects s JOIN sizes z ON z.size_id = s.id
  WHERE s.kind = 'enterprise' AND NOT s.one_matter AND z.size IN ('medium', 'small', 'micro')
    AND s.rc_prev_fen > 0 AND s.rc_prev2_fen > 0
) WHERE amount IS NOT NULL
UNION ALL
-- （七） m07.rd: min(3,000,000, 10% (placeholder rate) × R&D investment in Y), every year
SELECT 'm07.rd', count(*), sum(least((rd_fen * 2 + 10) // 20, 300000000))
FROM subjects
WHERE kind = 'enterprise' AND NOT one_matter AND rd_fen > 0
