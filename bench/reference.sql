-- Hand-written DuckDB SQL for three measures, the reference huiqi is measured against.
-- Read independently from the notice; same inputs (`subjects`, the derived `sizes`, `projects`,
-- `loans`, `history`), integer fen, half-up rounding. {year}, {start}, {end}, {days} are filled in.

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
