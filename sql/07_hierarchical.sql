-- Step 7 of the walkthrough: hierarchical segments and the tree they are cut from.
-- Run: segql --demo -f sql/07_hierarchical.sql
-- The exact algorithm grows as rows squared, so this clusters 2,000 customers (Ward linkage
-- takes up to 100,000 rows).

-- ## Four segments under Ward linkage, saved
SELECT segment, size, round(share, 3) AS share, round(recency_days, 1) AS recency_days,
       round(frequency, 1) AS frequency, round(monetary, 2) AS monetary, label
FROM hclust_fit((SELECT * FROM rfm(sales) ORDER BY "CustomerID" LIMIT 2000), 4, linkage => 'ward', model => 'rfm_ward4')
ORDER BY segment;

-- ## The top of the dendrogram: the last merges and their heights (a big jump before a merge
-- says the segments it joins are well apart)
SELECT step, left_child, right_child, round(distance, 3) AS height, size
FROM hclust_tree('rfm_ward4')
ORDER BY step DESC
LIMIT 6;

-- ## The same customers under the other linkages: how many land in the largest segment
SELECT 'ward' AS linkage, max(size) AS largest FROM hclust_fit((SELECT * FROM rfm(sales) ORDER BY "CustomerID" LIMIT 2000), 4, linkage => 'ward')
UNION ALL
SELECT 'average', max(size) FROM hclust_fit((SELECT * FROM rfm(sales) ORDER BY "CustomerID" LIMIT 2000), 4, linkage => 'average')
UNION ALL
SELECT 'complete', max(size) FROM hclust_fit((SELECT * FROM rfm(sales) ORDER BY "CustomerID" LIMIT 2000), 4, linkage => 'complete')
UNION ALL
SELECT 'single', max(size) FROM hclust_fit((SELECT * FROM rfm(sales) ORDER BY "CustomerID" LIMIT 2000), 4, linkage => 'single')
ORDER BY linkage;

-- ## Judged as any model is: overall and per segment
SELECT round(silhouette, 3) AS silhouette, round(davies_bouldin, 3) AS davies_bouldin
FROM kmeans_evaluate('rfm_ward4', (SELECT * FROM rfm(sales) ORDER BY "CustomerID" LIMIT 2000));
