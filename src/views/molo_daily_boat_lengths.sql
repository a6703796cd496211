-- DW_MOLO_DAILY_BOAT_LENGTHS_VW: one row per (date, boat, marina location) for boats with at
-- least one covering reservation that is not cancelled (status 5; a NULL status counts).
-- The marina location is the reservation's. RESERVATION_ID and the times are those of the
-- highest-ID covering reservation; OCCUPIES_SLIP = 1 if any covering one has status 4.
WITH boat_days AS (
    SELECT c.CALENDAR_DATE, c.MONTH_NUMBER, c.YEAR_NUMBER, c.MONTH_YEAR_NAME,
           r.BOAT_ID, r.MARINA_LOCATION_ID,
           MAX(r.ID) AS RESERVATION_ID,
           MAX(CASE WHEN r.RESERVATION_STATUS_ID = 4 THEN 1 ELSE 0 END) AS OCCUPIES_SLIP
    FROM DW_MOLO_RESERVATIONS r
    JOIN CUSTOM_CALENDAR_DIMENSION c
      ON c.CALENDAR_DATE >= {{date(r.SCHEDULED_ARRIVAL_TIME)}}
     AND c.CALENDAR_DATE < {{date(r.SCHEDULED_DEPARTURE_TIME)}}
    WHERE r.DW_DELETED_AT IS NULL
      AND r.BOAT_ID IS NOT NULL
      AND (r.RESERVATION_STATUS_ID IS NULL OR r.RESERVATION_STATUS_ID <> 5)
    GROUP BY c.CALENDAR_DATE, c.MONTH_NUMBER, c.YEAR_NUMBER, c.MONTH_YEAR_NAME, r.BOAT_ID, r.MARINA_LOCATION_ID
),
-- the length parsed once per boat, not once per boat and day (a regex per row)
boats AS (
    SELECT b.ID, b.NAME, b.MAKE, b.MODEL, {{loa_ft(b.LOA)}} AS LOA_FT
    FROM DW_MOLO_BOATS b
    WHERE b.DW_DELETED_AT IS NULL
)
SELECT
    bd.CALENDAR_DATE,
    bd.MONTH_NUMBER,
    bd.YEAR_NUMBER,
    bd.MONTH_YEAR_NAME,
    bd.BOAT_ID,
    b.NAME AS BOAT_NAME,
    b.LOA_FT AS BOAT_LOA_LENGTH,
    b.MAKE AS BOAT_MAKE,
    b.MODEL AS BOAT_MODEL,
    bd.MARINA_LOCATION_ID,
    ml.NAME AS MARINA_LOCATION_NAME,
    bd.RESERVATION_ID,
    r.SCHEDULED_ARRIVAL_TIME,
    r.SCHEDULED_DEPARTURE_TIME,
    CAST(bd.OCCUPIES_SLIP AS {{bigint}}) AS OCCUPIES_SLIP
FROM boat_days bd
JOIN DW_MOLO_RESERVATIONS r
  ON r.ID = bd.RESERVATION_ID
 AND r.DW_DELETED_AT IS NULL
LEFT JOIN boats b
  ON b.ID = bd.BOAT_ID
LEFT JOIN DW_MOLO_MARINA_LOCATIONS ml
  ON ml.ID = bd.MARINA_LOCATION_ID
 AND ml.DW_DELETED_AT IS NULL
