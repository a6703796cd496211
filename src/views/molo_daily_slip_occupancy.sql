-- DW_MOLO_DAILY_SLIP_OCCUPANCY_VW: one row per (date, slip) for slips that count on the date
-- and are not excluded from occupancy (DO_NOT_COUNT_IN_OCCUPANCY NULL or false).
-- A stay covers d when date(arrival) <= d < date(departure). The reservation shown is, among
-- the slip's covering reservations, the occupying one (status 4 or 6) with the highest ID,
-- else the covering one with the highest ID, else none (all reservation columns NULL).
WITH slip_days AS (
    SELECT c.CALENDAR_DATE, c.MONTH_NUMBER, c.YEAR_NUMBER, c.MONTH_YEAR_NAME,
           s.ID AS SLIP_ID, s.NAME AS SLIP_NAME, s.MARINA_LOCATION_ID
    FROM DW_MOLO_SLIPS s
    JOIN CUSTOM_CALENDAR_DIMENSION c
      ON c.CALENDAR_DATE >= COALESCE({{date(s.START_DATE)}}, DATE '0001-01-01')
     AND c.CALENDAR_DATE <= COALESCE({{date(s.END_DATE)}}, DATE '9999-12-31')
    WHERE s.DW_DELETED_AT IS NULL
      AND s.ACTIVE = {{true}}
      AND (s.DO_NOT_COUNT_IN_OCCUPANCY IS NULL OR s.DO_NOT_COUNT_IN_OCCUPANCY = {{false}})
),
covering AS (
    -- per slip and covered date: the highest occupying reservation id and the highest id
    SELECT c.CALENDAR_DATE, r.SLIP_ID,
           MAX(CASE WHEN r.RESERVATION_STATUS_ID IN (4, 6) THEN r.ID END) AS OCCUPYING_ID,
           MAX(r.ID) AS ANY_ID
    FROM DW_MOLO_RESERVATIONS r
    JOIN CUSTOM_CALENDAR_DIMENSION c
      ON c.CALENDAR_DATE >= {{date(r.SCHEDULED_ARRIVAL_TIME)}}
     AND c.CALENDAR_DATE < {{date(r.SCHEDULED_DEPARTURE_TIME)}}
    WHERE r.DW_DELETED_AT IS NULL
      AND r.SLIP_ID IS NOT NULL
    GROUP BY c.CALENDAR_DATE, r.SLIP_ID
)
-- The shown reservation and its status join after the covering ids (integers) joined the
-- slip-days: a hash table of ids, not of reservation details, for the million slip-days.
SELECT
    sd.CALENDAR_DATE,
    sd.MONTH_NUMBER,
    sd.YEAR_NUMBER,
    sd.MONTH_YEAR_NAME,
    sd.SLIP_ID,
    sd.SLIP_NAME,
    sd.MARINA_LOCATION_ID,
    ml.NAME AS MARINA_LOCATION_NAME,
    ch.ID AS RESERVATION_ID,
    ch.SCHEDULED_ARRIVAL_TIME,
    ch.SCHEDULED_DEPARTURE_TIME,
    ch.RESERVATION_STATUS_ID,
    rs.NAME AS RESERVATION_STATUS_NAME,
    ch.NAME AS RESERVATION_NAME,
    CAST(CASE WHEN ch.ID IS NOT NULL AND cv.OCCUPYING_ID IS NOT NULL THEN 1 ELSE 0 END AS {{bigint}}) AS IS_OCCUPIED
FROM slip_days sd
LEFT JOIN covering cv
  ON cv.SLIP_ID = sd.SLIP_ID
 AND cv.CALENDAR_DATE = sd.CALENDAR_DATE
LEFT JOIN DW_MOLO_RESERVATIONS ch
  ON ch.ID = COALESCE(cv.OCCUPYING_ID, cv.ANY_ID)
 AND ch.DW_DELETED_AT IS NULL
LEFT JOIN DW_MOLO_RESERVATION_STATUS rs
  ON rs.ID = ch.RESERVATION_STATUS_ID
 AND rs.DW_DELETED_AT IS NULL
LEFT JOIN DW_MOLO_MARINA_LOCATIONS ml
  ON ml.ID = sd.MARINA_LOCATION_ID
 AND ml.DW_DELETED_AT IS NULL
