-- DW_MOLO_MONTHLY_REVENUE_BY_SLIP_TYPE_VW (spec/business-views.md): what each kind of slip
-- earns, per (year, month, marina location, slip type) over the rows of
-- DW_MOLO_RATE_OVER_LINEAR_FOOT. The slip type is the slip's SLIP_TYPE_ID and its name; a slip
-- without one groups under NULL, NULL (never a made-up 'Unknown').
-- REVENUE sums the unrounded invoice daily rate (INVOICE_TOTAL / RESERVATION_DAYS, as
-- DW_MOLO_RATE_OVER_LINEAR_FOOT_VW does), so that money is rounded once, in this projection.
-- FOOT_NIGHTS is a DOUBLE sum rounded to 6 decimals (the same on every backend).
SELECT
    f.YEAR_NUMBER,
    f.MONTH_NUMBER,
    f.MONTH_YEAR_NAME,
    f.MARINA_LOCATION_ID,
    f.MARINA_LOCATION_NAME,
    s.SLIP_TYPE_ID,
    st.NAME AS SLIP_TYPE_NAME,
    COUNT(*) AS OCCUPIED_NIGHTS,
    {{dec2(SUM(f.INVOICE_TOTAL / NULLIF(f.RESERVATION_DAYS, 0)))}} AS REVENUE,
    {{dec2(SUM(f.INVOICE_TOTAL / NULLIF(f.RESERVATION_DAYS, 0)) / NULLIF(COUNT(*), 0))}} AS REVENUE_PER_NIGHT,
    {{round_double(SUM(f.BILLED_LOA_FT), 6)}} AS FOOT_NIGHTS,
    {{dec2(SUM(f.INVOICE_TOTAL / NULLIF(f.RESERVATION_DAYS, 0)) / NULLIF(SUM(f.BILLED_LOA_FT), 0))}}
        AS REVENUE_PER_FOOT_NIGHT
FROM DW_MOLO_RATE_OVER_LINEAR_FOOT f
LEFT JOIN DW_MOLO_SLIPS s
  ON s.ID = f.SLIP_ID
 AND s.DW_DELETED_AT IS NULL
LEFT JOIN DW_MOLO_SLIP_TYPES st
  ON st.ID = s.SLIP_TYPE_ID
 AND st.DW_DELETED_AT IS NULL
GROUP BY f.YEAR_NUMBER, f.MONTH_NUMBER, f.MONTH_YEAR_NAME, f.MARINA_LOCATION_ID, f.MARINA_LOCATION_NAME,
         s.SLIP_TYPE_ID, st.NAME
