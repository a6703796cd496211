-- DW_NS_X_FIN_REPORT_V (contract/netsuite.md §6): the 14 typed views (UNION ALL with the explicit
-- column list of §5, filled in by views/mod.rs as <typed_union>) with their dimension names,
-- the posting period split into year / month / YYYYMM, P&L amount columns and the finance mapping.
-- Period rule: a name 'Mon YYYY' gives the three values; any other name falls back to the
-- period's start date; no period row gives NULLs.
WITH u AS (
{{typed_union}}
),
mapping AS (
    -- nsaccount is the key; compared trimmed, so keep one row per trimmed value
    SELECT mm.*
    FROM (
        SELECT m0.NSACCOUNT, m0.MODELMAPPINGDETAIL, m0.SORTORDER, m0.REPORTTYPE, m0.REPORTSECTION,
               TRIM(m0.NSACCOUNT) AS NSACCOUNT_KEY,
               ROW_NUMBER() OVER (PARTITION BY TRIM(m0.NSACCOUNT) ORDER BY m0.NSACCOUNT) AS PICK
        FROM DW_NS_ACCOUNT_REPORT_MAPPING m0
        WHERE m0.DW_DELETED_AT IS NULL
    ) mm
    WHERE mm.PICK = 1
),
periods AS (
    SELECT p0.ID,
           CASE WHEN {{matches(p0.PERIOD_NAME, '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4}')}}
                THEN 1 ELSE 0 END AS NAME_OK,
           p0.PERIOD_NAME,
           p0.START_DATE
    FROM DW_NS_ACCOUNTING_PERIOD p0
    WHERE p0.DW_DELETED_AT IS NULL
),
period_parts AS (
    SELECT p1.ID,
           CASE WHEN p1.NAME_OK = 1 THEN CAST(SUBSTR(p1.PERIOD_NAME, 5, 4) AS INTEGER)
                ELSE CAST(EXTRACT(YEAR FROM p1.START_DATE) AS INTEGER)
           END AS Y,
           CASE WHEN p1.NAME_OK = 1
                THEN (CASE SUBSTR(p1.PERIOD_NAME, 1, 3)
                        WHEN 'Jan' THEN 1 WHEN 'Feb' THEN 2 WHEN 'Mar' THEN 3 WHEN 'Apr' THEN 4
                        WHEN 'May' THEN 5 WHEN 'Jun' THEN 6 WHEN 'Jul' THEN 7 WHEN 'Aug' THEN 8
                        WHEN 'Sep' THEN 9 WHEN 'Oct' THEN 10 WHEN 'Nov' THEN 11 WHEN 'Dec' THEN 12
                      END)
                ELSE CAST(EXTRACT(MONTH FROM p1.START_DATE) AS INTEGER)
           END AS M
    FROM periods p1
),
period_cols AS (
    SELECT pp.ID,
           LPAD(CAST(pp.Y AS {{text}}), 4, '0') AS POSTING_YEAR,
           SUBSTR('JanFebMarAprMayJunJulAugSepOctNovDec', 3 * pp.M - 2, 3) AS POSTING_MONTH,
           CAST(pp.Y * 100 + pp.M AS {{bigint}}) AS POSTING_MONTH_NUM
    FROM period_parts pp
)
SELECT
    u.T_TYPE,
    u.TRAN_ID,
    u.INTERNALID,
    u.LINE_ID,
    u.TRAN_DATE,
    u.TRAN_NAME,
    s.NAME AS SUBSIDIARY,
    l.NAME AS LOCATION,
    c.NAME AS CLASS,
    d.NAME AS DEPARTMENT,
    cs.ENTITY_NAME AS CUSTOMER,
    v.ENTITY_NAME AS TRAN_VENDOR,
    i.ITEM_NAME AS ITEM_NAME,
    a.ACCOUNT_NUMBER,
    a.ACCOUNT_TYPE,
    a.SEARCH_DISPLAY_NAME AS ACCOUNT_DESC,
    pc.POSTING_YEAR,
    pc.POSTING_MONTH,
    pc.POSTING_MONTH_NUM,
    u.ACCTG_AMOUNT,
    CAST(CASE WHEN a.ACCOUNT_TYPE = 'Income' THEN u.ACCTG_AMOUNT ELSE 0 END AS DECIMAL(18,2)) AS INCOME_AMOUNT,
    CAST(CASE WHEN a.ACCOUNT_TYPE = 'COGS' THEN u.ACCTG_AMOUNT ELSE 0 END AS DECIMAL(18,2)) AS COGS_AMOUNT,
    CAST(CASE WHEN a.ACCOUNT_TYPE = 'Expense' THEN u.ACCTG_AMOUNT ELSE 0 END AS DECIMAL(18,2)) AS EXPENSE_AMOUNT,
    CAST(CASE WHEN a.ACCOUNT_TYPE = 'OthIncome' THEN u.ACCTG_AMOUNT ELSE 0 END AS DECIMAL(18,2)) AS OTHERINCOME_AMOUNT,
    CAST(CASE WHEN a.ACCOUNT_TYPE = 'OthExpense' THEN u.ACCTG_AMOUNT ELSE 0 END AS DECIMAL(18,2)) AS OTHEREXPENSE_AMOUNT,
    CAST(CASE WHEN a.ACCOUNT_TYPE IN ('Income', 'COGS') THEN u.ACCTG_AMOUNT ELSE 0 END AS DECIMAL(18,2))
        AS GROSS_PROFIT,
    CAST(CASE WHEN a.ACCOUNT_TYPE IN ('Income', 'COGS', 'Expense', 'OthIncome', 'OthExpense')
              THEN u.ACCTG_AMOUNT ELSE 0 END AS DECIMAL(18,2)) AS NET_PROFIT,
    u.MEMO,
    m.MODELMAPPINGDETAIL AS MAPVALUE,
    m.SORTORDER,
    m.REPORTTYPE,
    m.REPORTSECTION
FROM u
JOIN DW_NS_ACCOUNT a
  ON a.ID = u.ACCOUNT_ID
 AND a.DW_DELETED_AT IS NULL
LEFT JOIN DW_NS_SUBSIDIARY s
  ON s.ID = u.SUBSIDIARY_ID
 AND s.DW_DELETED_AT IS NULL
LEFT JOIN DW_NS_LOCATION l
  ON l.ID = u.LOCATION_ID
 AND l.DW_DELETED_AT IS NULL
LEFT JOIN DW_NS_CLASSIFICATION c
  ON c.ID = u.DIVISION_ID
 AND c.DW_DELETED_AT IS NULL
LEFT JOIN DW_NS_DEPARTMENT d
  ON d.ID = u.DEPARTMENT_ID
 AND d.DW_DELETED_AT IS NULL
LEFT JOIN DW_NS_CUSTOMER cs
  ON cs.ID = u.ENTITY_ID
 AND cs.DW_DELETED_AT IS NULL
LEFT JOIN DW_NS_VENDOR v
  ON v.ID = u.ENTITY_ID
 AND v.DW_DELETED_AT IS NULL
LEFT JOIN DW_NS_ITEM i
  ON i.ID = u.ITEM_ID
 AND i.DW_DELETED_AT IS NULL
LEFT JOIN period_cols pc
  ON pc.ID = u.POSTING_PERIOD_ID
LEFT JOIN mapping m
  ON m.NSACCOUNT_KEY = TRIM(u.ACCOUNT_NUMBER)
