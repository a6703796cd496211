-- DW_STELLAR_MONTHLY_BOAT_REVENUE_VW (spec/business-views.md): what each boat earns per month,
-- per (year, month, location, boat) over the rows of DW_STELLAR_DAILY_RENTALS_VW.
-- RENTAL_DAYS = distinct dates, BOOKINGS = distinct bookings; HOURS and REVENUE sum the
-- per-date allocations (which add up exactly to each rental's hours and rate).
SELECT
    r.YEAR_NUMBER,
    r.MONTH_NUMBER,
    r.MONTH_YEAR_NAME,
    r.LOCATION_ID,
    r.LOCATION_NAME,
    r.BOAT_ID,
    r.BOAT_NUMBER,
    COUNT(DISTINCT r.CALENDAR_DATE) AS RENTAL_DAYS,
    COUNT(DISTINCT r.BOOKING_ID) AS BOOKINGS,
    CAST(SUM(r.HOURS_ON_DATE) AS DECIMAL(18,2)) AS HOURS,
    CAST(SUM(r.REVENUE_ON_DATE) AS DECIMAL(18,2)) AS REVENUE,
    {{dec2(SUM(r.REVENUE_ON_DATE) / NULLIF(COUNT(DISTINCT r.CALENDAR_DATE), 0))}} AS REVENUE_PER_RENTAL_DAY
FROM DW_STELLAR_DAILY_RENTALS_VW r
GROUP BY r.YEAR_NUMBER, r.MONTH_NUMBER, r.MONTH_YEAR_NAME, r.LOCATION_ID, r.LOCATION_NAME, r.BOAT_ID, r.BOAT_NUMBER
