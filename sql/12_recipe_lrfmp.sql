-- Recipe: LRFMP segmentation of members: length of relationship, recency, frequency,
-- monetary and periodicity, plus the loyalty points of a members table.
-- Run: segql --demo -f sql/12_recipe_lrfmp.sql
--
-- rfm() already gives length (tenure_days: first to last purchase) and periodicity
-- (periodicity_days: the mean days between purchases). The demo has no members table, so one is
-- made here: points earned as one per 10 of spend, rounded down, plus a joining bonus that
-- depends on the member number. The recipe chooses k by the silhouette (2 here), then compares
-- the mean of every feature per group. Members with a single purchase have no periodicity
-- (NULL), so the fit leaves them out and counts them (segql_models' skipped_rows).

-- ## The members' features
WITH members AS (
  SELECT "CustomerID", floor(sum("Quantity" * "UnitPrice") / 10) + ("CustomerID" % 7) * 50 AS points
  FROM sales WHERE "CustomerID" IS NOT NULL AND "Quantity" > 0 GROUP BY "CustomerID"
)
SELECT count(*) AS members, round(avg(tenure_days), 1) AS length, round(avg(recency_days), 1) AS recency,
       round(avg(frequency), 2) AS frequency, round(avg(monetary), 2) AS monetary,
       round(avg(periodicity_days), 1) AS periodicity, round(avg(points), 1) AS points
FROM rfm(sales) r JOIN members m USING ("CustomerID");

-- ## k by the silhouette
WITH members AS (
  SELECT "CustomerID", floor(sum("Quantity" * "UnitPrice") / 10) + ("CustomerID" % 7) * 50 AS points
  FROM sales WHERE "CustomerID" IS NOT NULL AND "Quantity" > 0 GROUP BY "CustomerID"
), lrfmp AS (
  SELECT r."CustomerID", tenure_days, recency_days, frequency, monetary, periodicity_days, points
  FROM rfm(sales) r JOIN members m USING ("CustomerID")
)
SELECT k, round(silhouette, 3) AS silhouette, round(davies_bouldin, 3) AS davies_bouldin,
       round(smallest_share, 3) AS smallest_share, recommended
FROM kmeans_search(lrfmp, ks => '2..6', stability => 0, seed => 1,
                   features => 'tenure_days, recency_days, frequency, monetary, periodicity_days, points')
ORDER BY k;

-- ## The recommended fit, and the mean of every feature per group (the recipe's bar chart)
WITH members AS (
  SELECT "CustomerID", floor(sum("Quantity" * "UnitPrice") / 10) + ("CustomerID" % 7) * 50 AS points
  FROM sales WHERE "CustomerID" IS NOT NULL AND "Quantity" > 0 GROUP BY "CustomerID"
), lrfmp AS (
  SELECT r."CustomerID", tenure_days, recency_days, frequency, monetary, periodicity_days, points
  FROM rfm(sales) r JOIN members m USING ("CustomerID")
)
SELECT segment, size, round(share, 3) AS share, round(avg_tenure_days, 1) AS length,
       round(avg_recency_days, 1) AS recency, round(avg_frequency, 2) AS frequency,
       round(avg_monetary, 2) AS monetary, round(avg_periodicity_days, 1) AS periodicity,
       round(avg_points, 1) AS points, label
FROM kmeans_fit(lrfmp, 'auto', ks => '2..6', stability => 0, seed => 1, model => 'lrfmp',
                features => 'tenure_days, recency_days, frequency, monetary, periodicity_days, points')
ORDER BY segment;
