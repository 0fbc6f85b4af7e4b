-- Recipe: RFM segmentation of online-retail transactions with per-feature transforms.
-- Run: segql --demo -f sql/11_recipe_online_retail.sql
--
-- The recipe builds RFM from the transactions, compares each feature's skewness raw and after
-- log, sqrt, Box-Cox (and cube root for monetary), picks Box-Cox for recency and frequency and
-- the cube root for monetary, standardises, draws the elbow for k = 1..10, fits k = 3 and names
-- the groups: loyal (frequent, big spenders, recent), new (recent, low frequency and spend) and
-- churned (long ago, low frequency and spend).

-- ## Step 1: skewness of each RFM feature, raw and after each transform
SELECT feature, round(skew, 3) AS raw, round(skew_log, 3) AS log, round(skew_sqrt, 3) AS sqrt,
       round(skew_cbrt, 3) AS cbrt, round(skew_boxcox, 3) AS boxcox, auto_transform
FROM feature_skewness(rfm(sales))
ORDER BY feature;

-- ## Step 2: the elbow for k = 1..10 with the recipe's transforms
SELECT k, round(inertia, 1) AS inertia, round(inertia_drop, 3) AS inertia_drop, elbow
FROM kmeans_search(rfm(sales), ks => '1..10',
                   transform => 'recency_days: boxcox, frequency: boxcox, monetary: cbrt',
                   stability => 0, seed => 1)
ORDER BY k;

-- ## Step 3: k = 3, and what the transforms did
SELECT segment, size, round(share, 3) AS share, round(avg_recency_days, 1) AS recency_days,
       round(avg_frequency, 2) AS frequency, round(avg_monetary, 2) AS monetary, label
FROM kmeans_fit(rfm(sales), 3,
                transform => 'recency_days: boxcox, frequency: boxcox, monetary: cbrt',
                seed => 1, model => 'retail3')
ORDER BY segment;

SELECT feature, transform, round(lambda, 4) AS lambda, round(skew, 3) AS skew_before,
       round(skew_after, 3) AS skew_after
FROM model_features('retail3')
ORDER BY position;

-- ## Step 4: the recipe's names: the most frequent segment is loyal, the longest-gone churned
SELECT segment, size,
       CASE WHEN avg_frequency = max(avg_frequency) OVER () THEN 'loyal'
            WHEN avg_recency_days = max(avg_recency_days) OVER () THEN 'churned'
            ELSE 'new' END AS recipe_name
FROM model_segments('retail3')
ORDER BY segment;
