-- DW_MOLO_MONTHLY_OCCUPANCY_VW (spec/business-views.md): occupancy per marina and month over
-- the rows of DW_MOLO_DAILY_SLIP_OCCUPANCY_VW. DAYS = distinct dates, SLIP_NIGHTS = rows,
-- OCCUPIED_NIGHTS = rows with IS_OCCUPIED, OCCUPANCY_PCT = 100 * occupied / slip nights.
-- Months after the snapshot show the occupancy already on the books.
-- The slip-nights are first counted per date and marina id (narrow keys over the largest
-- row set), so that DAYS is a plain count; the month and the marina's name (as the daily
-- view names it: the non-deleted location row) are joined to those few rows.
WITH per_day AS (
    SELECT o.CALENDAR_DATE, o.MARINA_LOCATION_ID, COUNT(*) AS SLIPS, SUM(o.IS_OCCUPIED) AS OCCUPIED
    FROM DW_MOLO_DAILY_SLIP_OCCUPANCY_VW o
    GROUP BY o.CALENDAR_DATE, o.MARINA_LOCATION_ID
),
per_month AS (
    SELECT c.YEAR_NUMBER, c.MONTH_NUMBER, c.MONTH_YEAR_NAME, d.MARINA_LOCATION_ID,
           COUNT(*) AS DAYS, SUM(d.SLIPS) AS SLIP_NIGHTS, SUM(d.OCCUPIED) AS OCCUPIED_NIGHTS
    FROM per_day d
    JOIN CUSTOM_CALENDAR_DIMENSION c
      ON c.CALENDAR_DATE = d.CALENDAR_DATE
    GROUP BY c.YEAR_NUMBER, c.MONTH_NUMBER, c.MONTH_YEAR_NAME, d.MARINA_LOCATION_ID
)
SELECT
    m.YEAR_NUMBER,
    m.MONTH_NUMBER,
    m.MONTH_YEAR_NAME,
    m.MARINA_LOCATION_ID,
    ml.NAME AS MARINA_LOCATION_NAME,
    m.DAYS,
    CAST(m.SLIP_NIGHTS AS {{bigint}}) AS SLIP_NIGHTS,
    CAST(m.OCCUPIED_NIGHTS AS {{bigint}}) AS OCCUPIED_NIGHTS,
    {{dec2(100.0 * m.OCCUPIED_NIGHTS / NULLIF(m.SLIP_NIGHTS, 0))}} AS OCCUPANCY_PCT
FROM per_month m
LEFT JOIN DW_MOLO_MARINA_LOCATIONS ml
  ON ml.ID = m.MARINA_LOCATION_ID
 AND ml.DW_DELETED_AT IS NULL
