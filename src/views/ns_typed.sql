-- Template of the 14 typed NetSuite views DW_NS_X_FIN_<TYPE>_V (contract/netsuite.md §3-§5).
-- One row per primary-book accounting line of a posting transaction of the view's type.
-- Per-view parameters (filled in by views/mod.rs from its NS_TYPED table, §4):
--   <t_type> literal T_TYPE, <type_filter> the transaction filter,
--   <entity>, <item>, <qty>, <tran_name> the per-view column expressions.
SELECT
    CAST('{{t_type}}' AS {{text}}) AS T_TYPE,
    t.TRAN_ID AS TRAN_ID,
    t.ID AS INTERNALID,
    tal.LINE_ID AS LINE_ID,
    t.TRAN_DATE AS TRAN_DATE,
    {{tran_name}} AS TRAN_NAME,
    tl.SUBSIDIARY_ID AS SUBSIDIARY_ID,
    tl.LOCATION_ID AS LOCATION_ID,
    tl.CLASS_ID AS DIVISION_ID,
    tl.DEPARTMENT_ID AS DEPARTMENT_ID,
    {{entity}} AS ENTITY_ID,
    {{item}} AS ITEM_ID,
    t.POSTING_PERIOD_ID AS POSTING_PERIOD_ID,
    tal.ACCOUNT_ID AS ACCOUNT_ID,
    a.ACCOUNT_NUMBER AS ACCOUNT_NUMBER,
    a.ACCOUNT_TYPE AS ACCOUNT_TYPE,
    a.DESCRIPTION AS ACCOUNT_DESC,
    {{qty}} AS QTY,
    CAST(NULL AS DECIMAL(18,2)) AS EXT_COST,
    CAST(COALESCE(tal.CREDIT, 0) - COALESCE(tal.DEBIT, 0) AS DECIMAL(18,2)) AS ACCTG_AMOUNT,
    tl.MEMO AS MEMO
FROM DW_NS_TRANSACTION_ACCOUNTING_LINE tal
JOIN DW_NS_ACCOUNTING_BOOK b
  ON b.ID = tal.ACCOUNTING_BOOK_ID
 AND b.IS_PRIMARY = {{true}}
 AND b.DW_DELETED_AT IS NULL
JOIN DW_NS_TRANSACTION t
  ON t.ID = tal.TRANSACTION_ID
 AND t.DW_DELETED_AT IS NULL
JOIN DW_NS_ACCOUNT a
  ON a.ID = tal.ACCOUNT_ID
 AND a.DW_DELETED_AT IS NULL
LEFT JOIN DW_NS_TRANSACTION_LINE tl
  ON tl.TRANSACTION_ID = tal.TRANSACTION_ID
 AND tl.LINE_ID = tal.LINE_ID
 AND tl.DW_DELETED_AT IS NULL
WHERE tal.DW_DELETED_AT IS NULL
  AND tal.POSTING = {{true}}
  AND t.POSTING = {{true}}
  AND {{type_filter}}
