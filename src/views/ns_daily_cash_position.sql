-- DW_NS_DAILY_CASH_POSITION_V (spec/business-views.md): the balance of every bank account
-- (ACCOUNT_TYPE 'Bank') per subsidiary and day, from the first TRAN_DATE with a qualifying line
-- (<gl_lines>, filled in by views/mod.rs) on that subsidiary and account to the latest
-- TRAN_DATE of any qualifying line. DAY_NET is 0 on a day without lines; CLOSING_BALANCE
-- adds up DAY_NET through the date. The subsidiary is matched through a key that is never
-- NULL (lines without a subsidiary form their own group, and the match stays a hashable
-- equality).
WITH gl AS (
{{gl_lines}}
),
last_day AS (
    SELECT MAX(g.TRAN_DATE) AS LAST_DAY FROM gl g
),
bank_days AS (
    SELECT g.TRAN_DATE, g.SUBSIDIARY_ID, COALESCE(g.SUBSIDIARY_ID, -1) AS SUB_KEY, g.ACCOUNT_ID,
           SUM(g.DEBIT - g.CREDIT) AS DAY_NET
    FROM gl g
    WHERE g.ACCOUNT_TYPE = 'Bank'
      AND g.TRAN_DATE IS NOT NULL
    GROUP BY g.TRAN_DATE, g.SUBSIDIARY_ID, g.ACCOUNT_ID
),
accounts AS (
    SELECT bd.SUBSIDIARY_ID, bd.SUB_KEY, bd.ACCOUNT_ID, MIN(bd.TRAN_DATE) AS FIRST_DAY
    FROM bank_days bd
    GROUP BY bd.SUBSIDIARY_ID, bd.SUB_KEY, bd.ACCOUNT_ID
),
grid AS (
    SELECT c.CALENDAR_DATE, ac.SUBSIDIARY_ID, ac.SUB_KEY, ac.ACCOUNT_ID
    FROM accounts ac
    CROSS JOIN last_day ld
    JOIN CUSTOM_CALENDAR_DIMENSION c
      ON c.CALENDAR_DATE >= ac.FIRST_DAY
     AND c.CALENDAR_DATE <= ld.LAST_DAY
)
SELECT
    gr.CALENDAR_DATE,
    gr.SUBSIDIARY_ID,
    s.NAME AS SUBSIDIARY_NAME,
    gr.ACCOUNT_ID,
    a.ACCOUNT_NUMBER,
    a.FULL_NAME AS ACCOUNT_NAME,
    CAST(COALESCE(bd.DAY_NET, 0) AS DECIMAL(18,2)) AS DAY_NET,
    CAST(SUM(COALESCE(bd.DAY_NET, 0)) OVER (
        PARTITION BY gr.SUB_KEY, gr.ACCOUNT_ID
        ORDER BY gr.CALENDAR_DATE
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS DECIMAL(18,2)) AS CLOSING_BALANCE
FROM grid gr
LEFT JOIN bank_days bd
  ON bd.TRAN_DATE = gr.CALENDAR_DATE
 AND bd.SUB_KEY = gr.SUB_KEY
 AND bd.ACCOUNT_ID = gr.ACCOUNT_ID
JOIN DW_NS_ACCOUNT a
  ON a.ID = gr.ACCOUNT_ID
 AND a.DW_DELETED_AT IS NULL
LEFT JOIN DW_NS_SUBSIDIARY s
  ON s.ID = gr.SUBSIDIARY_ID
 AND s.DW_DELETED_AT IS NULL
