    -- The qualifying accounting lines of the finance views (spec/business-views.md): primary
    -- book; accounting line and transaction posting, transaction not voided; with its
    -- transaction line (for the subsidiary) and its account. DEBIT and CREDIT: NULL as 0.
    SELECT t.POSTING_PERIOD_ID, t.TRAN_DATE, tl.SUBSIDIARY_ID, tal.ACCOUNT_ID, a.ACCOUNT_TYPE,
           COALESCE(tal.DEBIT, 0) AS DEBIT,
           COALESCE(tal.CREDIT, 0) AS CREDIT
    FROM DW_NS_TRANSACTION_ACCOUNTING_LINE tal
    JOIN DW_NS_ACCOUNTING_BOOK b
      ON b.ID = tal.ACCOUNTING_BOOK_ID
     AND b.IS_PRIMARY = {{true}}
     AND b.DW_DELETED_AT IS NULL
    JOIN DW_NS_TRANSACTION t
      ON t.ID = tal.TRANSACTION_ID
     AND t.DW_DELETED_AT IS NULL
    JOIN DW_NS_TRANSACTION_LINE tl
      ON tl.TRANSACTION_ID = tal.TRANSACTION_ID
     AND tl.LINE_ID = tal.LINE_ID
     AND tl.DW_DELETED_AT IS NULL
    JOIN DW_NS_ACCOUNT a
      ON a.ID = tal.ACCOUNT_ID
     AND a.DW_DELETED_AT IS NULL
    WHERE tal.DW_DELETED_AT IS NULL
      AND tal.POSTING = {{true}}
      AND t.POSTING = {{true}}
      AND (t.VOIDED IS NULL OR t.VOIDED = {{false}})
