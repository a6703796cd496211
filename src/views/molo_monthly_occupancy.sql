-- DW_MOLO_MONTHLY_OCCUPANCY_VW (spec/business-views.md): occupancy per marina and month over
-- the rows of DW_MOLO_DAILY_SLIP_OCCUPANCY_VW. DAYS = distinct dates, SLIP_NIGHTS = rows,
-- OCCUPIED_NIGHTS = rows with IS_OCCUPIED, OCCUPANCY_PCT = 100 * occupied / slip nights.
-- Months after the snapshot show the occupancy already on the books.
SELECT
    o.YEAR_NUMBER,
    o.MONTH_NUMBER,
    o.MONTH_YEAR_NAME,
    o.MARINA_LOCATION_ID,
    o.MARINA_LOCATION_NAME,
    COUNT(DISTINCT o.CALENDAR_DATE) AS DAYS,
    COUNT(*) AS SLIP_NIGHTS,
    CAST(SUM(o.IS_OCCUPIED) AS {{bigint}}) AS OCCUPIED_NIGHTS,
    {{dec2(100.0 * SUM(o.IS_OCCUPIED) / NULLIF(COUNT(*), 0))}} AS OCCUPANCY_PCT
FROM DW_MOLO_DAILY_SLIP_OCCUPANCY_VW o
GROUP BY o.YEAR_NUMBER, o.MONTH_NUMBER, o.MONTH_YEAR_NAME, o.MARINA_LOCATION_ID, o.MARINA_LOCATION_NAME
