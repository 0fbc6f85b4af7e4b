-- The RFM table itself: the twenty most valuable customers, and how the scores spread.
SELECT "CustomerID", recency_days, frequency, round(monetary, 2) AS monetary,
       r_score, f_score, m_score, rfm_cell, segment
FROM rfm(sales)
ORDER BY monetary DESC, "CustomerID"
LIMIT 20;

-- Customers per (R, F) score pair: the grid the segment map names.
SELECT r_score, f_score, count(*) AS customers, min(segment) AS segment
FROM rfm(sales)
GROUP BY r_score, f_score
ORDER BY r_score DESC, f_score DESC;
