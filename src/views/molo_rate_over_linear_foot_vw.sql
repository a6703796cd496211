-- DW_MOLO_RATE_OVER_LINEAR_FOOT_VW: normalized rate per foot per (year, month, marina location,
-- reservation type) over DW_MOLO_RATE_OVER_LINEAR_FOOT.
-- REVENUE is the sum of the unrounded invoice daily rate (INVOICE_TOTAL / RESERVATION_DAYS,
-- INVOICE_TOTAL being exact), so that rounding happens once, in this projection.
-- (No comment line ends with a semicolon: SQL*Plus would end the statement there.)
SELECT
    f.YEAR_NUMBER,
    f.MONTH_NUMBER,
    f.MONTH_YEAR_NAME,
    f.MARINA_LOCATION_ID,
    f.MARINA_LOCATION_NAME,
    f.RESERVATION_TYPE,
    COUNT(*) AS OCCUPIED_NIGHTS,
    {{round_double(SUM(f.BILLED_LOA_FT), 6)}} AS FOOT_NIGHTS,
    {{dec2(SUM(f.INVOICE_TOTAL / NULLIF(f.RESERVATION_DAYS, 0)))}} AS REVENUE,
    {{dec2(SUM(f.INVOICE_TOTAL / NULLIF(f.RESERVATION_DAYS, 0)) / NULLIF(SUM(f.BILLED_LOA_FT), 0))}} AS REVENUE_PER_FOOT_NIGHT,
    {{dec2(SUM(f.INVOICE_TOTAL / NULLIF(f.RESERVATION_DAYS, 0)) / NULLIF(SUM(f.BILLED_LOA_FT), 0) * 30.4375)}} AS REVENUE_PER_FOOT_MONTH
FROM DW_MOLO_RATE_OVER_LINEAR_FOOT f
GROUP BY f.YEAR_NUMBER, f.MONTH_NUMBER, f.MONTH_YEAR_NAME, f.MARINA_LOCATION_ID, f.MARINA_LOCATION_NAME,
         f.RESERVATION_TYPE
