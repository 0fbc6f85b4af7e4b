-- Step 3 of the walkthrough: fit the segments and profile them.
-- Run: segql --demo -f sql/03_fit_and_profile.sql

-- ## Four segments on recency, frequency and monetary (Box-Cox where skewed, standardised)
SELECT segment, label, size AS customers, round(100.0 * share, 1) AS pct_customers,
       round(recency_days, 1) AS centroid_recency_days,
       round(frequency, 2)    AS centroid_orders,
       round(monetary, 2)     AS centroid_monetary
FROM kmeans_fit(rfm(sales), 4, seed => 42, model => 'customer_segments')
ORDER BY segment;

-- ## Profile: the members of each segment against the whole customer base
SELECT segment, label,
       count(*)                                                     AS customers,
       round(avg(recency_days), 1)                                  AS avg_recency_days,
       round(avg(frequency), 1)                                     AS avg_orders,
       round(avg(monetary), 2)                                      AS avg_monetary,
       round(100.0 * sum(monetary) / sum(sum(monetary)) OVER (), 1) AS pct_revenue,
       round(avg(tenure_days), 0)                                   AS avg_tenure_days
FROM assign_segment('customer_segments', rfm(sales))
GROUP BY segment, label
ORDER BY segment;

-- ## How the K-Means segments cut across the R/F map: the two largest R/F segments in each
SELECT kmeans_label, rfm_segment, customers
FROM (
    SELECT k.label AS kmeans_label, r.segment AS rfm_segment, count(*) AS customers,
           row_number() OVER (PARTITION BY k.label ORDER BY count(*) DESC, r.segment) AS rank
    FROM (SELECT label, "CustomerID" FROM assign_segment('customer_segments', rfm(sales))) AS k
    JOIN (SELECT segment, "CustomerID" FROM rfm(sales)) AS r USING ("CustomerID")
    GROUP BY k.label, r.segment
)
WHERE rank <= 2
ORDER BY kmeans_label, customers DESC;
