-- DW_NS_TRIAL_BALANCE_V (spec/business-views.md): debits, credits and balances per
-- (posting period, subsidiary, account) with at least one qualifying line (<gl_lines>, filled
-- in by views/mod.rs) whose transaction posts to that period. CLOSING_BALANCE adds up NET over
-- this and the earlier periods (by START_DATE, then ID) of the same subsidiary and account that
-- have a row; a period without a START_DATE (or without a period row) is left out.
WITH gl AS (
{{gl_lines}}
),
per_period AS (
    SELECT g.POSTING_PERIOD_ID AS PERIOD_ID, g.SUBSIDIARY_ID, g.ACCOUNT_ID,
           SUM(g.DEBIT) AS DEBIT, SUM(g.CREDIT) AS CREDIT
    FROM gl g
    GROUP BY g.POSTING_PERIOD_ID, g.SUBSIDIARY_ID, g.ACCOUNT_ID
)
SELECT
    pp.PERIOD_ID,
    p.PERIOD_NAME,
    p.START_DATE AS PERIOD_START_DATE,
    pp.SUBSIDIARY_ID,
    s.NAME AS SUBSIDIARY_NAME,
    pp.ACCOUNT_ID,
    a.ACCOUNT_NUMBER,
    a.FULL_NAME AS ACCOUNT_NAME,
    a.ACCOUNT_TYPE,
    CAST(pp.DEBIT AS DECIMAL(18,2)) AS DEBIT,
    CAST(pp.CREDIT AS DECIMAL(18,2)) AS CREDIT,
    CAST(pp.DEBIT - pp.CREDIT AS DECIMAL(18,2)) AS NET,
    CAST(SUM(pp.DEBIT - pp.CREDIT) OVER (
        PARTITION BY pp.SUBSIDIARY_ID, pp.ACCOUNT_ID
        ORDER BY p.START_DATE, pp.PERIOD_ID
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS DECIMAL(18,2)) AS CLOSING_BALANCE
FROM per_period pp
JOIN DW_NS_ACCOUNTING_PERIOD p
  ON p.ID = pp.PERIOD_ID
 AND p.DW_DELETED_AT IS NULL
 AND p.START_DATE IS NOT NULL
JOIN DW_NS_ACCOUNT a
  ON a.ID = pp.ACCOUNT_ID
 AND a.DW_DELETED_AT IS NULL
LEFT JOIN DW_NS_SUBSIDIARY s
  ON s.ID = pp.SUBSIDIARY_ID
 AND s.DW_DELETED_AT IS NULL
