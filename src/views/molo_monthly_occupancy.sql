-- DW_MOLO_MONTHLY_OCCUPANCY_VW (spec/business-views.md): occupancy per marina and month over
-- the rows of DW_MOLO_DAILY_SLIP_OCCUPANCY_VW. DAYS = distinct dates, SLIP_NIGHTS = rows,
-- OCCUPIED_NIGHTS = rows with IS_OCCUPIED, OCCUPANCY_PCT = 100 * occupied / slip nights.
-- Months after the snapshot show the occupancy already on the books.
-- The rows are first counted per day (one row per date and marina), so that DAYS is a plain
-- count rather than a COUNT(DISTINCT) over every slip-night.
WITH per_day AS (
    SELECT o.CALENDAR_DATE, o.YEAR_NUMBER, o.MONTH_NUMBER, o.MONTH_YEAR_NAME, o.MARINA_LOCATION_ID,
           o.MARINA_LOCATION_NAME, COUNT(*) AS SLIPS, SUM(o.IS_OCCUPIED) AS OCCUPIED
    FROM DW_MOLO_DAILY_SLIP_OCCUPANCY_VW o
    GROUP BY o.CALENDAR_DATE, o.YEAR_NUMBER, o.MONTH_NUMBER, o.MONTH_YEAR_NAME, o.MARINA_LOCATION_ID,
             o.MARINA_LOCATION_NAME
)
SELECT
    d.YEAR_NUMBER,
    d.MONTH_NUMBER,
    d.MONTH_YEAR_NAME,
    d.MARINA_LOCATION_ID,
    d.MARINA_LOCATION_NAME,
    COUNT(*) AS DAYS,
    CAST(SUM(d.SLIPS) AS {{bigint}}) AS SLIP_NIGHTS,
    CAST(SUM(d.OCCUPIED) AS {{bigint}}) AS OCCUPIED_NIGHTS,
    {{dec2(100.0 * SUM(d.OCCUPIED) / NULLIF(SUM(d.SLIPS), 0))}} AS OCCUPANCY_PCT
FROM per_day d
GROUP BY d.YEAR_NUMBER, d.MONTH_NUMBER, d.MONTH_YEAR_NAME, d.MARINA_LOCATION_ID, d.MARINA_LOCATION_NAME
