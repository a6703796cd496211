-- DW_MOLO_RATE_OVER_LINEAR_FOOT: one row per (date, reservation) for reservations with
-- status 4 (in the slip), for each date d the stay covers (date(arrival) <= d < date(departure))
-- on which the reservation's slip counts in occupancy (ACTIVE, within START/END_DATE,
-- DO_NOT_COUNT_IN_OCCUPANCY NULL or false).
-- INVOICE_TOTAL: seasonal/transitive reservation charges of the reservation's invoices,
-- not void (IS_VOID false) and not deleted (STATUS_FIELD NULL or not 'deleted'); 0 when none.
-- Rates are computed unrounded and rounded to 2 decimals only here, in the projection; a monthly
-- rate divides by the unrounded RESERVATION_DAYS / 30.4375 (written x * 30.4375 / days, which is
-- exact in NUMERIC arithmetic). Division by zero gives NULL.
WITH invoice_totals AS (
    SELECT i.RESERVATION_ID, SUM(it.TOTAL) AS INVOICE_TOTAL
    FROM DW_MOLO_INVOICES i
    JOIN DW_MOLO_INVOICE_ITEMS it
      ON it.INVOICE_ID = i.ID
     AND it.DW_DELETED_AT IS NULL
    WHERE i.DW_DELETED_AT IS NULL
      AND i.RESERVATION_ID IS NOT NULL
      AND it.TYPE_FIELD IN ('charge-reservation-seasonal', 'charge-reservation-transitive')
      AND it.IS_VOID = {{false}}
      AND (it.STATUS_FIELD IS NULL OR it.STATUS_FIELD <> 'deleted')
    GROUP BY i.RESERVATION_ID
),
stays AS (
    SELECT r.ID, r.NAME, r.RESERVATION_STATUS_ID, r.RESERVATION_TYPE_ID, r.MARINA_LOCATION_ID,
           r.SLIP_ID, s.NAME AS SLIP_NAME, r.SCHEDULED_ARRIVAL_TIME, r.SCHEDULED_DEPARTURE_TIME, r.RATE,
           {{date(r.SCHEDULED_DEPARTURE_TIME)}} - {{date(r.SCHEDULED_ARRIVAL_TIME)}} AS RESERVATION_DAYS,
           COALESCE(inv.INVOICE_TOTAL, 0) AS INVOICE_TOTAL,
           {{loa_ft(b.LOA)}} AS BOAT_LOA_FT,
           {{loa_ft(s.RECOMMENDED_LOA)}} AS SLIP_LOA_FT,
           -- covered dates on which the slip counts: FIRST_DAY <= d < END_DAY
           GREATEST({{date(r.SCHEDULED_ARRIVAL_TIME)}},
                    COALESCE({{date(s.START_DATE)}}, DATE '0001-01-01')) AS FIRST_DAY,
           LEAST({{date(r.SCHEDULED_DEPARTURE_TIME)}},
                 COALESCE({{date(s.END_DATE)}} + 1, DATE '9999-12-31')) AS END_DAY
    FROM DW_MOLO_RESERVATIONS r
    JOIN DW_MOLO_SLIPS s
      ON s.ID = r.SLIP_ID
     AND s.DW_DELETED_AT IS NULL
    LEFT JOIN DW_MOLO_BOATS b
      ON b.ID = r.BOAT_ID
     AND b.DW_DELETED_AT IS NULL
    LEFT JOIN invoice_totals inv
      ON inv.RESERVATION_ID = r.ID
    WHERE r.DW_DELETED_AT IS NULL
      AND r.RESERVATION_STATUS_ID = 4
      AND r.SCHEDULED_ARRIVAL_TIME IS NOT NULL
      AND r.SCHEDULED_DEPARTURE_TIME IS NOT NULL
      AND s.ACTIVE = {{true}}
      AND (s.DO_NOT_COUNT_IN_OCCUPANCY IS NULL OR s.DO_NOT_COUNT_IN_OCCUPANCY = {{false}})
),
billed AS (
    SELECT st.*,
           CASE WHEN st.BOAT_LOA_FT IS NULL THEN st.SLIP_LOA_FT
                WHEN st.SLIP_LOA_FT IS NULL THEN st.BOAT_LOA_FT
                WHEN st.BOAT_LOA_FT >= st.SLIP_LOA_FT THEN st.BOAT_LOA_FT
                ELSE st.SLIP_LOA_FT
           END AS BILLED_LOA_FT
    FROM stays st
)
SELECT
    c.CALENDAR_DATE,
    c.MONTH_NUMBER,
    c.YEAR_NUMBER,
    c.MONTH_YEAR_NAME,
    bl.ID AS RESERVATION_ID,
    bl.NAME AS RESERVATION_NAME,
    rs.NAME AS RESERVATION_STATUS,
    rt.NAME AS RESERVATION_TYPE,
    bl.MARINA_LOCATION_ID,
    ml.NAME AS MARINA_LOCATION_NAME,
    bl.SLIP_ID,
    bl.SLIP_NAME,
    bl.SCHEDULED_ARRIVAL_TIME,
    bl.SCHEDULED_DEPARTURE_TIME,
    bl.RESERVATION_DAYS,
    {{dec2(bl.RESERVATION_DAYS / 30.4375)}} AS RESERVATION_MONTHS,
    CAST(bl.INVOICE_TOTAL AS DECIMAL(18,2)) AS INVOICE_TOTAL,
    {{dec2(bl.RATE / NULLIF(bl.RESERVATION_DAYS, 0))}} AS RESERVATION_DAILY_RATE,
    {{dec2(bl.INVOICE_TOTAL / NULLIF(bl.RESERVATION_DAYS, 0))}} AS INVOICE_DAILY_RATE,
    {{dec2(bl.RATE * 30.4375 / NULLIF(bl.RESERVATION_DAYS, 0))}} AS RESERVATION_MONTHLY_RATE,
    {{dec2(bl.INVOICE_TOTAL * 30.4375 / NULLIF(bl.RESERVATION_DAYS, 0))}} AS INVOICE_MONTHLY_RATE,
    bl.BILLED_LOA_FT,
    {{dec2(bl.INVOICE_TOTAL / NULLIF(bl.RESERVATION_DAYS, 0) / NULLIF(bl.BILLED_LOA_FT, 0))}}
        AS DAILY_RATE_PER_FOOT,
    {{dec2(bl.INVOICE_TOTAL * 30.4375 / NULLIF(bl.RESERVATION_DAYS, 0) / NULLIF(bl.BILLED_LOA_FT, 0))}}
        AS MONTHLY_RATE_PER_FOOT
FROM billed bl
JOIN CUSTOM_CALENDAR_DIMENSION c
  ON c.CALENDAR_DATE >= bl.FIRST_DAY
 AND c.CALENDAR_DATE < bl.END_DAY
LEFT JOIN DW_MOLO_RESERVATION_STATUS rs
  ON rs.ID = bl.RESERVATION_STATUS_ID
 AND rs.DW_DELETED_AT IS NULL
LEFT JOIN DW_MOLO_RESERVATION_TYPES rt
  ON rt.ID = bl.RESERVATION_TYPE_ID
 AND rt.DW_DELETED_AT IS NULL
LEFT JOIN DW_MOLO_MARINA_LOCATIONS ml
  ON ml.ID = bl.MARINA_LOCATION_ID
 AND ml.DW_DELETED_AT IS NULL
