-- Fills CUSTOM_CALENDAR_DIMENSION (spec/views.md): one row per day of the range.
-- <day_source> yields the days (column D) and <iso_dow> the ISO weekday (1 = Monday ...
-- 7 = Sunday); both are spelled per dialect in views/mod.rs. Month names are English
-- abbreviations independent of the session language.
INSERT INTO CUSTOM_CALENDAR_DIMENSION
    (CALENDAR_DATE, YEAR_NUMBER, MONTH_NUMBER, MONTH_YEAR_NAME, DAY_OF_WEEK, QUARTER_NUMBER, IS_WEEKEND)
SELECT
    x.D,
    x.Y,
    x.M,
    SUBSTR('JanFebMarAprMayJunJulAugSepOctNovDec', 3 * x.M - 2, 3) || ' ' || LPAD(CAST(x.Y AS {{text}}), 4, '0'),
    x.W,
    CASE WHEN x.M <= 3 THEN 1 WHEN x.M <= 6 THEN 2 WHEN x.M <= 9 THEN 3 ELSE 4 END,
    CASE WHEN x.W >= 6 THEN 1 ELSE 0 END
FROM (
    SELECT days.D,
           CAST(EXTRACT(YEAR FROM days.D) AS INTEGER) AS Y,
           CAST(EXTRACT(MONTH FROM days.D) AS INTEGER) AS M,
           CAST({{iso_dow}} AS INTEGER) AS W
    FROM ({{day_source}}) days
) x
