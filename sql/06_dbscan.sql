-- Step 6 of the walkthrough: density-based segments, and the customers who fit none (DBSCAN).
-- Run: segql --demo -f sql/06_dbscan.sql
-- eps is a radius in the fitted space: after the skew fix and standardisation one unit is one
-- standard deviation of a feature, whatever its original units.

-- ## Choosing eps: the k-distance curve's knee for min_samples = 10
SELECT round(k_distance, 3) AS suggested_eps, round(share, 3) AS share_of_customers_below
FROM dbscan_eps(rfm(sales), 10)
WHERE knee;

-- ## The segments and the noise (segment -1): outlier customers worth a look
SELECT segment, size, round(share, 3) AS share, round(avg_recency_days, 1) AS avg_recency_days,
       round(avg_frequency, 1) AS avg_frequency, round(avg_monetary, 2) AS avg_monetary, label
FROM dbscan(rfm(sales), 0.3, 10, model => 'rfm_dbscan', view => 'segments')
ORDER BY segment = -1, segment;

-- ## Row by row: which customers are noise, and how far they sit from any dense group
SELECT "CustomerID", recency_days, frequency, round(monetary, 2) AS monetary,
       round(distance, 3) AS distance_to_nearest_core
FROM dbscan(rfm(sales), 0.3, 10)
WHERE segment = -1
ORDER BY distance DESC, "CustomerID"
LIMIT 10;

-- ## Scoring new customers with the saved model: the nearest core customer within eps
SELECT segment, label, count(*) AS customers
FROM assign_segment('rfm_dbscan', rfm((SELECT * FROM sales WHERE "InvoiceDate" >= TIMESTAMP '2011-11-01')))
GROUP BY segment, label
ORDER BY segment;
