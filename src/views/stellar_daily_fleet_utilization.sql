-- DW_STELLAR_DAILY_FLEET_UTILIZATION_VW (spec/business-views.md): how much of the fleet is out,
-- per (date, location, style), for every date from the first to the last date of
-- DW_STELLAR_DAILY_RENTALS_VW and every style with a fleet boat in service that day or a
-- fleet boat out.
-- A fleet boat is a style boat with IN_FLEET true (and a style); it is in service on d when
-- (PURCHASED_DATE IS NULL OR PURCHASED_DATE <= d) AND (SALE_DATE IS NULL OR d < SALE_DATE).
-- BOATS_OUT counts fleet boats of the style with a rental row that day, in service or not
-- (so UTILIZATION_PCT can pass 100). Rentals of boats that are not fleet boats count nowhere.
-- The style's location comes from DW_STELLAR_STYLES; IS_CLOSED says whether that location
-- has a DW_STELLAR_CLOSED_DATES row for the date.
WITH span AS (
    SELECT MIN(r.CALENDAR_DATE) AS FIRST_DAY, MAX(r.CALENDAR_DATE) AS LAST_DAY
    FROM DW_STELLAR_DAILY_RENTALS_VW r
),
days AS (
    SELECT c.CALENDAR_DATE, c.MONTH_NUMBER, c.YEAR_NUMBER, c.MONTH_YEAR_NAME
    FROM CUSTOM_CALENDAR_DIMENSION c
    JOIN span sp
      ON c.CALENDAR_DATE >= sp.FIRST_DAY
     AND c.CALENDAR_DATE <= sp.LAST_DAY
),
fleet AS (
    SELECT sb.ID AS BOAT_ID, sb.STYLE_ID, sb.PURCHASED_DATE, sb.SALE_DATE
    FROM DW_STELLAR_STYLE_BOATS sb
    WHERE sb.DW_DELETED_AT IS NULL
      AND sb.IN_FLEET = {{true}}
      AND sb.STYLE_ID IS NOT NULL
),
in_service AS (
    SELECT d.CALENDAR_DATE, f.STYLE_ID, COUNT(*) AS FLEET_BOATS
    FROM days d
    JOIN fleet f
      ON (f.PURCHASED_DATE IS NULL OR f.PURCHASED_DATE <= d.CALENDAR_DATE)
     AND (f.SALE_DATE IS NULL OR d.CALENDAR_DATE < f.SALE_DATE)
    GROUP BY d.CALENDAR_DATE, f.STYLE_ID
),
boats_out AS (
    SELECT r.CALENDAR_DATE, f.STYLE_ID,
           COUNT(DISTINCT r.BOAT_ID) AS BOATS_OUT,
           SUM(r.HOURS_ON_DATE) AS HOURS_OUT,
           SUM(r.REVENUE_ON_DATE) AS REVENUE
    FROM DW_STELLAR_DAILY_RENTALS_VW r
    JOIN fleet f
      ON f.BOAT_ID = r.BOAT_ID
    GROUP BY r.CALENDAR_DATE, f.STYLE_ID
),
style_days AS (
    SELECT i.CALENDAR_DATE, i.STYLE_ID FROM in_service i
    UNION
    SELECT o.CALENDAR_DATE, o.STYLE_ID FROM boats_out o
),
closed AS (
    SELECT DISTINCT cd.LOCATION_ID, cd.CLOSED_DATE
    FROM DW_STELLAR_CLOSED_DATES cd
    WHERE cd.DW_DELETED_AT IS NULL
)
SELECT
    d.CALENDAR_DATE,
    d.MONTH_NUMBER,
    d.YEAR_NUMBER,
    d.MONTH_YEAR_NAME,
    s.LOCATION_ID,
    l.LOCATION_NAME,
    sd.STYLE_ID,
    s.STYLE_NAME,
    CASE WHEN cl.CLOSED_DATE IS NULL THEN {{false}} ELSE {{true}} END AS IS_CLOSED,
    CAST(COALESCE(i.FLEET_BOATS, 0) AS {{bigint}}) AS FLEET_BOATS,
    CAST(COALESCE(o.BOATS_OUT, 0) AS {{bigint}}) AS BOATS_OUT,
    CAST(COALESCE(o.HOURS_OUT, 0) AS DECIMAL(18,2)) AS HOURS_OUT,
    CAST(COALESCE(o.REVENUE, 0) AS DECIMAL(18,2)) AS REVENUE,
    {{dec2(100.0 * COALESCE(o.BOATS_OUT, 0) / NULLIF(COALESCE(i.FLEET_BOATS, 0), 0))}} AS UTILIZATION_PCT
FROM style_days sd
JOIN days d
  ON d.CALENDAR_DATE = sd.CALENDAR_DATE
LEFT JOIN in_service i
  ON i.CALENDAR_DATE = sd.CALENDAR_DATE
 AND i.STYLE_ID = sd.STYLE_ID
LEFT JOIN boats_out o
  ON o.CALENDAR_DATE = sd.CALENDAR_DATE
 AND o.STYLE_ID = sd.STYLE_ID
LEFT JOIN DW_STELLAR_STYLES s
  ON s.ID = sd.STYLE_ID
 AND s.DW_DELETED_AT IS NULL
LEFT JOIN DW_STELLAR_LOCATIONS l
  ON l.ID = s.LOCATION_ID
 AND l.DW_DELETED_AT IS NULL
LEFT JOIN closed cl
  ON cl.LOCATION_ID = s.LOCATION_ID
 AND cl.CLOSED_DATE = sd.CALENDAR_DATE
