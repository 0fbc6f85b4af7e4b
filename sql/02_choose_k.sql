-- Step 2 of the walkthrough: choosing k with the elbow.
-- Run: segql --demo -f sql/02_choose_k.sql
-- Inertia (the total within-segment sum of squares, in the standardised space) always falls
-- as k grows; look for the k after which it falls much more slowly, and for segments that are
-- still large enough to act on.

-- ## Inertia by number of segments
SELECT 2 AS k, round(sum(sse), 1) AS inertia, min(size) AS smallest_segment FROM kmeans_fit(rfm(sales), 2, seed => 1)
UNION ALL SELECT 3, round(sum(sse), 1), min(size) FROM kmeans_fit(rfm(sales), 3, seed => 1)
UNION ALL SELECT 4, round(sum(sse), 1), min(size) FROM kmeans_fit(rfm(sales), 4, seed => 1)
UNION ALL SELECT 5, round(sum(sse), 1), min(size) FROM kmeans_fit(rfm(sales), 5, seed => 1)
UNION ALL SELECT 6, round(sum(sse), 1), min(size) FROM kmeans_fit(rfm(sales), 6, seed => 1)
UNION ALL SELECT 8, round(sum(sse), 1), min(size) FROM kmeans_fit(rfm(sales), 8, seed => 1)
ORDER BY k;
