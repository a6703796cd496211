-- Template of DW_NS_AR_AGING_V and DW_NS_AP_AGING_V (spec/business-views.md): one row per open
-- document of type <doc_type> (CustInvc: invoices, VendBill: bills) that posts, is not voided
-- and has FOREIGN_AMOUNT_UNPAID > 0, aged as of AS_OF_DATE, the date in the name of the latest
-- published NetSuite snapshot (netsuite_YYYYMMDD.zip: the NetSuite row of ETL_SNAPSHOTS with the
-- highest run id). A name whose digits are no calendar date gives a NULL AS_OF_DATE, never an
-- error: the month is clamped before the date is built, and the day checked after.
-- The subsidiary is the main line's (LINE_ID 0); the entity name comes from <entity_table>.
-- DAYS_PAST_DUE counts from the due date, else the transaction date (negative: not yet due).
WITH snapshot_digits AS (
    SELECT SUBSTR(es.ARCHIVE_KEY, LENGTH(es.ARCHIVE_KEY) - 11, 8) AS DIGITS
    FROM ETL_SNAPSHOTS es
    WHERE es.SOURCE = 'netsuite'
      AND es.RUN_ID = (SELECT MAX(x.RUN_ID) FROM ETL_SNAPSHOTS x WHERE x.SOURCE = 'netsuite')
      AND {{matches(es.ARCHIVE_KEY, '(.*/)?netsuite_[0-9]{8}[.]zip')}}
),
snapshot_parts AS (
    SELECT CAST(SUBSTR(sd.DIGITS, 1, 4) AS INTEGER) AS Y,
           CAST(SUBSTR(sd.DIGITS, 5, 2) AS INTEGER) AS M,
           CAST(SUBSTR(sd.DIGITS, 7, 2) AS INTEGER) AS D
    FROM snapshot_digits sd
),
snapshot_dates AS (
    SELECT sp.M, sp.D,
           {{make_date(GREATEST(sp.Y, 1), LEAST(GREATEST(sp.M, 1), 12), 1)}} + (LEAST(GREATEST(sp.D, 1), 31) - 1) AS SNAPSHOT_DAY
    FROM snapshot_parts sp
),
as_of AS (
    SELECT MAX(CASE WHEN sd.D BETWEEN 1 AND 31 AND EXTRACT(MONTH FROM sd.SNAPSHOT_DAY) = sd.M THEN sd.SNAPSHOT_DAY END) AS AS_OF_DATE
    FROM snapshot_dates sd
),
open_docs AS (
    SELECT ao.AS_OF_DATE, tl.SUBSIDIARY_ID, t.ENTITY_ID, t.ID AS TRANSACTION_ID, t.TRAN_ID, t.TRAN_DATE,
           t.DUE_DATE,
           CAST(ao.AS_OF_DATE - COALESCE(t.DUE_DATE, t.TRAN_DATE) AS {{bigint}}) AS DAYS_PAST_DUE,
           t.FOREIGN_AMOUNT_UNPAID * COALESCE(t.EXCHANGE_RATE, 1) AS AMOUNT_OPEN
    FROM DW_NS_TRANSACTION t
    CROSS JOIN as_of ao
    LEFT JOIN DW_NS_TRANSACTION_LINE tl
      ON tl.TRANSACTION_ID = t.ID
     AND tl.LINE_ID = 0
     AND tl.DW_DELETED_AT IS NULL
    WHERE t.DW_DELETED_AT IS NULL
      AND t.TYPE = '{{doc_type}}'
      AND t.POSTING = {{true}}
      AND (t.VOIDED IS NULL OR t.VOIDED = {{false}})
      AND t.FOREIGN_AMOUNT_UNPAID > 0
)
SELECT
    od.AS_OF_DATE,
    od.SUBSIDIARY_ID,
    s.NAME AS SUBSIDIARY_NAME,
    od.ENTITY_ID,
    e.ENTITY_NAME,
    od.TRANSACTION_ID,
    od.TRAN_ID,
    od.TRAN_DATE,
    od.DUE_DATE,
    od.DAYS_PAST_DUE,
    CAST(CASE WHEN od.DAYS_PAST_DUE <= 0 THEN 'current'
              WHEN od.DAYS_PAST_DUE <= 30 THEN '1-30'
              WHEN od.DAYS_PAST_DUE <= 60 THEN '31-60'
              WHEN od.DAYS_PAST_DUE <= 90 THEN '61-90'
              WHEN od.DAYS_PAST_DUE > 90 THEN '90+'
         END AS {{text}}) AS AGING_BUCKET,
    {{dec2(od.AMOUNT_OPEN)}} AS AMOUNT_OPEN
FROM open_docs od
LEFT JOIN DW_NS_SUBSIDIARY s
  ON s.ID = od.SUBSIDIARY_ID
 AND s.DW_DELETED_AT IS NULL
LEFT JOIN {{entity_table}} e
  ON e.ID = od.ENTITY_ID
 AND e.DW_DELETED_AT IS NULL
