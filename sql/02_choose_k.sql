-- Step 2 of the walkthrough: choosing k.
-- Run: segql --demo -f sql/02_choose_k.sql
--
-- kmeans_search fits every candidate k on the same prepared RFM table and judges each fit:
--   inertia         the within-segment sum of squares (standardised space); it always falls
--                   as k grows, and inertia_drop says how much each k removes;
--   elbow           true on the k after which inertia falls much more slowly (kneedle);
--   silhouette      -1..1, how much closer customers are to their own segment than to the
--                   next one; higher is better (0.5 and up: clear segments);
--   davies_bouldin  lower is better; calinski_harabasz  higher is better;
--   smallest_share  the smallest segment's share: a segment of 1% is hard to act on;
--   stability       1 = the same segments when fitted on resamples of the customers;
--   recommended     the best silhouette among ks with smallest_share >= 5% and stability >= 0.8.
-- The recommended k is a starting point: the elbow and what the segments mean to the business
-- matter as much.

-- ## Every candidate k, judged
SELECT k, round(inertia, 1) AS inertia, round(inertia_drop, 3) AS inertia_drop,
       round(silhouette, 3) AS silhouette, round(davies_bouldin, 3) AS davies_bouldin,
       round(calinski_harabasz, 1) AS calinski_harabasz, round(smallest_share, 3) AS smallest_share,
       round(stability, 3) AS stability, elbow, recommended
FROM kmeans_search(rfm(sales), ks => '1..8', seed => 1)
ORDER BY k;

-- ## Fit the recommended k and keep the search in the model (stability was measured above)
SELECT segment, size, round(share, 3) AS share, label
FROM kmeans_fit(rfm(sales), 'auto', ks => '2..8', seed => 1, stability => 0, model => 'auto_seg');

SELECT name, k, chosen_by, searched_ks FROM segql_models() WHERE name = 'auto_seg';
