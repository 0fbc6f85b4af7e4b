-- Step 8 of the walkthrough: cohorts — customers grouped by the month they first bought.
-- Run: segql --demo -f sql/08_cohorts.sql

-- ## The retention triangle: the share of each cohort buying again 1, 2 and 3 months on
SELECT cohort,
       max(cohort_customers)                                        AS customers,
       round(max(CASE WHEN period_number = 1 THEN retention END), 3) AS month_1,
       round(max(CASE WHEN period_number = 2 THEN retention END), 3) AS month_2,
       round(max(CASE WHEN period_number = 3 THEN retention END), 3) AS month_3
FROM cohorts(sales, returns => 'exclude')
GROUP BY cohort
ORDER BY cohort;

-- ## Revenue per cohort customer, by months since their first purchase
SELECT period_number,
       round(sum(revenue) / sum(cohort_customers), 2) AS revenue_per_customer,
       sum(orders)                                     AS orders
FROM cohorts(sales, returns => 'exclude')
GROUP BY period_number
ORDER BY period_number;

-- ## Weekly cohorts (ISO weeks, from Monday): the first four of them
SELECT cohort, period_number, cohort_customers, active_customers, round(retention, 3) AS retention
FROM cohorts(sales, period => 'week')
WHERE cohort < (SELECT min(cohort) + INTERVAL '28 days' FROM cohorts(sales, period => 'week'))
  AND period_number <= 2
ORDER BY cohort, period_number;
