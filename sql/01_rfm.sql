-- Step 1 of the walkthrough: the RFM table and its segments.
-- Run: segql --demo -f sql/01_rfm.sql

-- ## The RFM table: the twenty most valuable customers
SELECT "CustomerID", recency_days, frequency, round(monetary, 2) AS monetary,
       r_score, f_score, m_score, rfm_cell, segment
FROM rfm(sales)
ORDER BY monetary DESC, "CustomerID"
LIMIT 20;

-- ## Customers per R/F map segment
SELECT segment,
       count(*)                                                     AS customers,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1)           AS pct_customers,
       round(100.0 * sum(monetary) / sum(sum(monetary)) OVER (), 1) AS pct_revenue
FROM rfm(sales)
GROUP BY segment
ORDER BY customers DESC, segment;

-- ## The (R, F) score grid the segment map names
SELECT r_score, f_score, count(*) AS customers, min(segment) AS segment
FROM rfm(sales)
GROUP BY r_score, f_score
ORDER BY r_score DESC, f_score DESC;

-- ## Countries, with the aggregate form of rfm() and a fixed snapshot date
WITH per_customer AS (
    SELECT "CustomerID", "Country",
           rfm("InvoiceDate", "Quantity" * "UnitPrice", DATE '2011-12-10', "InvoiceNo") AS r
    FROM sales
    WHERE "CustomerID" IS NOT NULL
    GROUP BY "CustomerID", "Country"
)
SELECT "Country",
       count(*)                         AS customers,
       round(avg(r['recency_days']), 1) AS avg_recency_days,
       round(avg(r['frequency']), 1)    AS avg_orders,
       round(sum(r['monetary']), 2)     AS revenue
FROM per_customer
GROUP BY "Country"
HAVING count(*) >= 5
ORDER BY avg_recency_days, "Country";
