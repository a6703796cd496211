-- DW_STELLAR_DAILY_RENTALS_VW: one row per (date, booking boat) for booking boats with status
-- 'Complete', non-NULL departure, return and numeric BOAT_ID, whose booking exists and is not
-- canceled (IS_CANCELED false), for each date from date(departure) to date(return) inclusive.
-- RATE_PER_BOAT = BOATS_TOTAL / number of (non-deleted) booking boats of the booking.
-- HOURS_ON_DATE / REVENUE_ON_DATE allocate the rental by the hours falling on each date. They are
-- rounded cumulatively: value(d) = round(cumulative through the end of d) - round(cumulative
-- before d), so that over the dates of a rental they add up exactly to HOURS and RATE_PER_BOAT.
WITH booking_boats AS (
    SELECT bb.ID, bb.BOOKING_ID, bb.BOAT_DEPARTURE, bb.BOAT_RETURN, bb.STATUS_BOOKING,
           CASE WHEN {{matches(TRIM(bb.BOAT_ID), '[0-9]{1,18}')}}
                THEN CAST(TRIM(bb.BOAT_ID) AS {{bigint}})
           END AS BOAT_ID
    FROM DW_STELLAR_BOOKING_BOATS bb
    WHERE bb.DW_DELETED_AT IS NULL
),
boat_counts AS (
    SELECT bb.BOOKING_ID, COUNT(*) AS BOAT_COUNT
    FROM DW_STELLAR_BOOKING_BOATS bb
    WHERE bb.DW_DELETED_AT IS NULL
    GROUP BY bb.BOOKING_ID
),
rentals AS (
    SELECT bb.ID AS BOOKING_BOAT_ID, bb.BOAT_ID, bb.BOOKING_ID, bb.BOAT_DEPARTURE, bb.BOAT_RETURN,
           bk.LOCATION_ID, bk.BOATS_TOTAL,
           bk.BOATS_TOTAL / NULLIF(n.BOAT_COUNT, 0) AS RATE,
           {{hours_between(bb.BOAT_DEPARTURE, bb.BOAT_RETURN)}} AS H
    FROM booking_boats bb
    JOIN DW_STELLAR_BOOKINGS bk
      ON bk.ID = bb.BOOKING_ID
     AND bk.DW_DELETED_AT IS NULL
    JOIN boat_counts n
      ON n.BOOKING_ID = bb.BOOKING_ID
    WHERE bb.STATUS_BOOKING = 'Complete'
      AND bb.BOAT_DEPARTURE IS NOT NULL
      AND bb.BOAT_RETURN IS NOT NULL
      AND bb.BOAT_ID IS NOT NULL
      AND bk.IS_CANCELED = {{false}}
),
rental_days AS (
    SELECT c.CALENDAR_DATE, c.MONTH_NUMBER, c.YEAR_NUMBER, c.MONTH_YEAR_NAME, r.*,
           -- hours of the rental before the start (A0) and before the end (A1) of the date
           {{hours_between(r.BOAT_DEPARTURE,
               LEAST(r.BOAT_RETURN, GREATEST(r.BOAT_DEPARTURE, CAST(c.CALENDAR_DATE AS TIMESTAMP))))}} AS A0,
           {{hours_between(r.BOAT_DEPARTURE,
               LEAST(r.BOAT_RETURN, GREATEST(r.BOAT_DEPARTURE, CAST(c.CALENDAR_DATE + 1 AS TIMESTAMP))))}} AS A1
    FROM rentals r
    JOIN CUSTOM_CALENDAR_DIMENSION c
      ON c.CALENDAR_DATE >= {{date(r.BOAT_DEPARTURE)}}
     AND c.CALENDAR_DATE <= {{date(r.BOAT_RETURN)}}
)
SELECT
    rd.CALENDAR_DATE,
    rd.MONTH_NUMBER,
    rd.YEAR_NUMBER,
    rd.MONTH_YEAR_NAME,
    rd.LOCATION_ID,
    l.LOCATION_NAME,
    rd.BOOKING_BOAT_ID,
    rd.BOAT_ID,
    sb.BOAT_NUMBER,
    rd.BOAT_DEPARTURE,
    rd.BOAT_RETURN,
    rd.BOOKING_ID,
    {{dec2(rd.H)}} AS HOURS,
    rd.BOATS_TOTAL,
    {{dec2(rd.RATE)}} AS RATE_PER_BOAT,
    {{dec2(rd.RATE / NULLIF(rd.H, 0))}} AS RATE_PER_BOAT_PER_HOUR,
    CAST({{dec2(rd.A1)}} - {{dec2(rd.A0)}} AS DECIMAL(18,2)) AS HOURS_ON_DATE,
    CAST({{dec2(rd.RATE * rd.A1 / NULLIF(rd.H, 0))}}
         - {{dec2(rd.RATE * rd.A0 / NULLIF(rd.H, 0))}} AS DECIMAL(18,2)) AS REVENUE_ON_DATE
FROM rental_days rd
LEFT JOIN DW_STELLAR_LOCATIONS l
  ON l.ID = rd.LOCATION_ID
 AND l.DW_DELETED_AT IS NULL
LEFT JOIN DW_STELLAR_STYLE_BOATS sb
  ON sb.ID = rd.BOAT_ID
 AND sb.DW_DELETED_AT IS NULL
